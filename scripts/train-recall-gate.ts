/**
 * Fits recall's answerability gate (src/core/recall/gate.ts) on the dev half of the recall fixtures
 * and writes its coefficients to src/core/recall/gate-model.ts.
 *
 * Every dev query is ranked three ways, as `npm run eval:recall` does (one store of the dev notes,
 * the query's own repository's notes, and prompt-time recall's allowed repositories), and the best
 * candidates of each ranking (the gate's pool) become examples: positive when the note is an
 * expected answer, negative otherwise (every candidate of an unanswerable query is negative). A
 * regularised logistic regression is fitted on them.
 *
 * The regularisation and the two thresholds (`recall`, prompt-time recall) are chosen by
 * leave-one-repository-out cross-validation: each repository's queries are scored by a model fitted
 * on the other repositories' queries, and the figures of the eval are computed from those held-out
 * probabilities. The rules' figures over the same queries are printed beside them.
 *
 * The pools are those the ranking judges: notes a rule of `gateVetoes` (`promptGateVetoes` for a
 * prompt) rejects are not in them. The recall threshold is the one that leaves the most unanswerable
 * questions empty without fewer right answers at rank 1 than the rules on the same queries; the
 * prompt threshold the one with the most right notes at noise ≤ 10% (and ≤ the rules' noise).
 *
 * Usage: `npx tsx scripts/train-recall-gate.ts [--skip word,...] [--with t4,t5] [--dry-run]` (`--skip`
 * leaves out dev files whose name holds a word, as the eval does; `--with` adds the notes and queries
 * of spent held-out batches, which decide nothing any more; `--dry-run` writes nothing). `recall`'s
 * model learns from pools where a note of the asking repository is compared with that repository's
 * notes only (`gatePeers`), prompt-time recall's from pools without it (`--prompt-peers`: the same
 * pools). Studies:
 * `--vetoes a,b` / `--prompt-vetoes a,b` (or `none`) try other vetoes, `--lambda x` one
 * regularisation, `--report word` the figures of one dev batch, `--curve` thresholds from 0.2 to 0.9,
 * `--floor p` also injects the rules' prompt-time pick when the gate gives it p.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import {
  type RecallRecord,
  type RecallSearchIndex,
  buildRecallIndex,
  idAt,
} from '../src/core/recall/index-build.js';
import { GATE_FEATURES, type GateSignals, gateFeatures } from '../src/core/recall/gate.js';
import { type GateVeto, RECALL_DEFAULTS, rankRecall } from '../src/core/recall/search.js';
import {
  type EvalQuery,
  RECALL_FIXTURE_DIR,
  RECALL_TEST_DIR,
  evalFigures,
  evaluateRecall,
  loadHalf,
} from './eval-recall.js';

const MODEL_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'src',
  'core',
  'recall',
  'gate-model.ts',
);

interface Example {
  x: number[];
  y: number;
}
interface Pooled {
  id: string;
  signals: GateSignals;
  score: number;
  promptCoverage: number;
  x: number[];
  p: number;
}
interface QueryPools {
  query: EvalQuery;
  large: Pooled[];
  bucket: Pooled[];
  prompt: Pooled[];
}

/**
 * How the gate is used. `replace`: the rules are features only; every pooled candidate is judged
 * and those above the threshold are returned, most probable first. `post`: the rules admit and rank
 * as before; the gate judges the best admitted note (its margin over the next admitted one) and
 * returns nothing when it falls below the threshold. Prompt-time recall: `post` keeps the rules'
 * coverage and margin bar and adds the gate; `post-prompt` replaces that bar by the gate.
 */
type Mode = 'replace' | 'post' | 'post-prompt';

/** Experiment: the rules' prompt-time pick is injected when the gate gives it this much (`--floor`). */
let promptFloor: number | undefined;
/** Experiment: the prompt threshold of a Chinese (or mixed) query is this much above the others'. */
let promptCjkOffset: number | undefined;

/**
 * Features prompt-time recall's model leaves out (held at 0 when it is fitted): `focus` gave
 * `recall` more unanswerable questions left empty, but fewer right prompt-time notes at the same
 * noise in cross-validation (docs/recall.md, sixth pass). `--prompt-drop a,b` (or `none`) tries others.
 */
let promptDrop = new Set<string>(['focus']);
const promptMask = (x: readonly number[]): number[] =>
  x.map((v, j) => (promptDrop.has(GATE_FEATURES[j] as string) ? 0 : v));
const masked = (data: readonly Example[]): Example[] => data.map((e) => ({ x: promptMask(e.x), y: e.y }));

/** Prompt-time noise the threshold aims at (see main). */
const PROMPT_NOISE_AIM = 0.09;

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

/** The pools of every dev query (dev notes only in the store), with the vetoes of `vetoes`. */
function collect(
  skip: readonly string[],
  spent: readonly string[],
  vetoes: readonly GateVeto[],
  promptVetoes: readonly GateVeto[],
  peers: boolean,
): QueryPools[] {
  const half = loadHalf(RECALL_FIXTURE_DIR, 'dev', { skip });
  if (spent.length > 0) {
    // Spent held-out batches (`--with t4,t5`): their own notes and queries, none of the rest of the half.
    const more = loadHalf(RECALL_TEST_DIR, 'dev', { skip: ['records.json', 'queries.json'], only: spent });
    half.records.push(...more.records);
    Object.assign(half.repos, more.repos);
    half.queries.push(...more.queries);
  }
  const large = buildRecallIndex(half.records);
  const buckets = new Map<string, RecallSearchIndex>();
  for (const fp of new Set(half.records.map((r: RecallRecord) => r.repo_fingerprint))) {
    buckets.set(fp, buildRecallIndex(half.records.filter((r) => r.repo_fingerprint === fp)));
  }
  return half.queries.map((query) => {
    const root = query.repo === null ? undefined : half.repos[query.repo];
    const fp = root === undefined ? undefined : sha1(root);
    const opts = {
      query: query.query,
      cwd: query.cwd,
      params: { gateVetoes: vetoes, promptGateVetoes: promptVetoes, gatePeers: peers },
      ...(fp === undefined ? {} : { repoFingerprint: fp }),
    };
    const pool = (index: RecallSearchIndex | undefined, prompt: boolean): Pooled[] =>
      index === undefined
        ? []
        : rankRecall(index, { ...opts, ...(prompt ? { prompt: {} } : {}) }, { pool: true }).flatMap((c) =>
            c.signals === undefined
              ? []
              : [
                  {
                    id: idAt(index, c.doc),
                    signals: c.signals,
                    score: c.score,
                    promptCoverage: c.promptCoverage,
                    x: c.features ?? [],
                    p: 0,
                  },
                ],
          );
    return {
      query,
      large: pool(large, false),
      bucket: pool(fp === undefined ? undefined : buckets.get(fp), false),
      prompt: pool(large, true),
    };
  });
}

/** The candidates the gate judges in `mode`, best first by score, with their features. */
function view(pool: readonly Pooled[], mode: Mode): Pooled[] {
  if (mode === 'replace') return [...pool];
  const admitted = pool.filter((c) => c.signals.rules);
  return admitted.map((c, i) => {
    const next = admitted[i === 0 ? 1 : 0]?.score;
    const best = admitted[0]?.score ?? 0;
    const signals = {
      ...c.signals,
      ratioBest: best > 0 ? c.score / best : 1,
      marginNext: next === undefined || next <= 0 ? Infinity : c.score / next,
      marginAdmitted: next === undefined || next <= 0 ? Infinity : c.score / next,
    };
    return { ...c, signals, x: gateFeatures(signals) };
  });
}

interface Views {
  query: EvalQuery;
  large: Pooled[];
  bucket: Pooled[];
  prompt: Pooled[];
}

function views(qs: readonly QueryPools[], mode: Mode): Views[] {
  return qs.map((q) => ({
    query: q.query,
    large: view(q.large, mode),
    bucket: view(q.bucket, mode),
    prompt: view(q.prompt, mode),
  }));
}

/** Experiment: prompt-time recall gets its own model, fitted on the prompt pools only. */
let promptOnly = false;

function examples(vs: readonly Views[], mode: Mode, pools: 'all' | 'prompt' = 'all'): Example[] {
  return vs.flatMap((q) =>
    (pools === 'prompt' ? [q.prompt] : [q.large, q.bucket, q.prompt])
      .flatMap((list) => (mode === 'replace' ? list : list.slice(0, 1)))
      .map((c) => ({ x: c.x, y: q.query.expected.includes(c.id) ? 1 : 0 })),
  );
}

/** L2-regularised logistic regression (Newton's method) on standardised features. */
function fit(data: readonly Example[], lambda: number): { weights: number[]; bias: number } {
  const d = GATE_FEATURES.length;
  const mean = Array.from(
    { length: d },
    (_, j) => data.reduce((s, e) => s + (e.x[j] as number), 0) / data.length,
  );
  const sd = mean.map((m, j) =>
    Math.max(1e-6, Math.sqrt(data.reduce((s, e) => s + ((e.x[j] as number) - m) ** 2, 0) / data.length)),
  );
  // Standardised features with a constant 1 last (the bias, not regularised).
  const z = data.map((e) => [...e.x.map((v, j) => (v - (mean[j] as number)) / (sd[j] as number)), 1]);
  let w = new Array<number>(d + 1).fill(0);
  for (let it = 0; it < 25; it++) {
    const g = w.map((wj, j) => (j < d ? lambda * wj : 0));
    const h = w.map((_, i) => w.map((__, j) => (i === j && i < d ? lambda : 0)));
    z.forEach((x, k) => {
      const p = 1 / (1 + Math.exp(-x.reduce((s, v, j) => s + v * (w[j] as number), 0)));
      const err = (p - (data[k] as Example).y) / data.length;
      const curv = (p * (1 - p)) / data.length;
      for (let i = 0; i <= d; i++) {
        g[i] = (g[i] as number) + err * (x[i] as number);
        const row = h[i] as number[];
        for (let j = 0; j <= d; j++) row[j] = (row[j] as number) + curv * (x[i] as number) * (x[j] as number);
      }
    });
    const step = solve(h, g);
    w = w.map((wj, j) => wj - (step[j] as number));
    if (Math.max(...step.map(Math.abs)) < 1e-8) break;
  }
  // Back to the raw features: w·(x − mean)/sd + b.
  const weights = w.slice(0, d).map((wj, j) => wj / (sd[j] as number));
  const bias = (w[d] as number) - weights.reduce((s, wj, j) => s + wj * (mean[j] as number), 0);
  return { weights, bias };
}

/** Solves a·x = b by Gaussian elimination with partial pivoting (a is small and positive definite). */
function solve(a: number[][], b: number[]): number[] {
  const m = a.map((row, i) => [...row, b[i] as number]);
  const n = b.length;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) piv = r;
    [m[c], m[piv]] = [m[piv]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}

const prob = (m: { weights: number[]; bias: number }, x: readonly number[]): number =>
  1 / (1 + Math.exp(-(m.bias + x.reduce((s, v, j) => s + v * (m.weights[j] as number), 0))));

interface Figures {
  r1: number;
  bucketR1?: number;
  r5: number;
  emptyLarge: number;
  emptyBucket: number;
  right: number;
  noise: number;
}

/** The eval's figures when the gate picks from the views (probabilities already set). */
function figures(vs: readonly Views[], mode: Mode, tRecall: number, tPrompt: number): Figures {
  const pick = (list: readonly Pooled[], t: number, k: number): string[] => {
    if (mode !== 'replace') return (list[0]?.p ?? 0) >= t ? list.slice(0, k).map((c) => c.id) : [];
    // The most probable note opens the list; below it, what the gate or the rules admit.
    const sorted = [...list].sort((a, b) => b.p - a.p || b.score - a.score);
    const head = sorted[0];
    if (head === undefined || head.p < t) return [];
    const rest = sorted.filter((c) => c !== head && (c.p >= t || c.signals.rules));
    // Below the most probable note, the ranking's order (as rankRecall returns them).
    rest.sort((a, b) => b.score - a.score);
    return [head, ...rest].slice(0, k).map((c) => c.id);
  };
  const promptPick = (list: readonly Pooled[]): string[] => {
    if (mode === 'post') {
      const [best, next] = list;
      if (best === undefined || best.promptCoverage < 0.45) return [];
      if (next !== undefined && best.score < 1.3 * next.score) return [];
    }
    const cjk = list[0]?.signals.cjk === true;
    let gated = pick(list, cjk && promptCjkOffset !== undefined ? tPrompt + promptCjkOffset : tPrompt, 1);
    // Quiet unless clearly ahead of the next candidate by score (RECALL_DEFAULTS.promptMargin).
    const chosen = list.find((c) => c.id === gated[0]);
    if (
      mode === 'replace' &&
      chosen !== undefined &&
      chosen.signals.marginNext < RECALL_DEFAULTS.promptMargin
    )
      gated = [];
    // A Chinese word no note has, counted in full at prompt time, leaves it below the bar.
    if (
      mode === 'replace' &&
      chosen !== undefined &&
      chosen.promptCoverage < chosen.signals.coverage &&
      chosen.promptCoverage < RECALL_DEFAULTS.promptCjkCoverage
    )
      gated = [];
    if (gated.length > 0 || promptFloor === undefined || mode !== 'replace') return gated;
    // The rules' clear lead: injected when the gate gives it at least the floor.
    const admitted = list.filter((c) => c.signals.rules);
    const [best, next] = admitted;
    if (best === undefined || best.promptCoverage < 0.45 || best.p < promptFloor) return [];
    return next !== undefined && best.score < 1.3 * next.score ? [] : [best.id];
  };
  const ans = vs.filter((q) => q.query.expected.length > 0);
  const un = vs.filter((q) => q.query.expected.length === 0);
  const share = (xs: readonly Views[], f: (q: Views) => boolean): number =>
    xs.filter(f).length / Math.max(1, xs.length);
  const right = (q: Views, ids: string[]): boolean => ids.some((id) => q.query.expected.includes(id));
  let injected = 0;
  let wrong = 0;
  for (const q of vs) {
    for (const id of promptPick(q.prompt)) {
      injected++;
      if (!q.query.expected.includes(id)) wrong++;
    }
  }
  return {
    r1: share(ans, (q) => right(q, pick(q.large, tRecall, 1))),
    r5: share(ans, (q) => right(q, pick(q.large, tRecall, 5))),
    bucketR1: share(ans, (q) => right(q, pick(q.bucket, tRecall, 1))),
    emptyLarge: share(un, (q) => pick(q.large, tRecall, 5).length === 0),
    emptyBucket: share(un, (q) => pick(q.bucket, tRecall, 5).length === 0),
    right: share(ans, (q) => right(q, promptPick(q.prompt))),
    noise: injected === 0 ? 0 : wrong / injected,
  };
}

/** Share of queries handled right: answerable ones right at rank 1, unanswerable ones empty. */
function accuracy(vs: readonly { query: EvalQuery }[], f: Figures): number {
  const un = vs.filter((q) => q.query.expected.length === 0).length;
  return (f.r1 * (vs.length - un) + ((f.emptyLarge + f.emptyBucket) / 2) * un) / Math.max(1, vs.length);
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const line = (f: Figures): string =>
  `R@1 ${pct(f.r1)} R@5 ${pct(f.r5)}${f.bucketR1 === undefined ? '' : ` bucket R@1 ${pct(f.bucketR1)}`} | unans→empty ${pct(f.emptyLarge)} / ${pct(f.emptyBucket)} | ` +
  `prompt right ${pct(f.right)} noise ${pct(f.noise)}`;

/** Sets each candidate's probability from a model fitted without its repository. */
function crossValidate(vs: readonly Views[], promptVs: readonly Views[], mode: Mode, lambda: number): void {
  for (const repo of new Set(vs.map((q) => q.query.repo))) {
    const model = fit(
      examples(
        vs.filter((q) => q.query.repo !== repo),
        mode,
      ),
      lambda,
    );
    const promptModel =
      promptDrop.size === 0 && promptVs === vs
        ? model
        : fit(
            masked(
              examples(
                promptVs.filter((q) => q.query.repo !== repo),
                mode,
              ),
            ),
            lambda,
          );
    for (const q of vs.filter((q) => q.query.repo === repo)) {
      for (const c of [...q.large, ...q.bucket]) c.p = prob(model, c.x);
      for (const c of q.prompt) c.p = prob(promptModel, promptMask(c.x));
    }
    if (!promptOnly) continue;
    const own = fit(
      masked(
        examples(
          vs.filter((q) => q.query.repo !== repo),
          mode,
          'prompt',
        ),
      ),
      lambda,
    );
    for (const q of vs.filter((q) => q.query.repo === repo))
      for (const c of q.prompt) c.p = prob(own, promptMask(c.x));
  }
}

/**
 * Recall threshold: the most queries handled right (answerable ones right at rank 1, unanswerable
 * ones empty, large store and bucket averaged); prompt threshold: most right notes at noise ≤ aim.
 */
function chooseThresholds(
  vs: readonly Views[],
  mode: Mode,
  noiseAim: number,
  rulesR1: number | undefined,
): { tRecall: number; tPrompt: number } {
  const grid = Array.from({ length: 39 }, (_, i) => 0.025 + i * 0.025);
  let tRecall = 0.5;
  let bestRecall = -Infinity;
  for (const t of grid) {
    const f = figures(vs, mode, t, 0);
    // With the rules' R@1 on the same queries given: the most unanswerable questions left empty
    // without fewer right answers at rank 1 than the rules (right or silent: silence is bought
    // only where it costs no right answer); otherwise the most queries handled right.
    const value =
      rulesR1 === undefined
        ? accuracy(vs, f)
        : f.r1 >= rulesR1
          ? f.emptyLarge + f.emptyBucket + accuracy(vs, f) / 100
          : -Infinity;
    if (value > bestRecall) [bestRecall, tRecall] = [value, t];
  }
  let tPrompt = 0.975;
  let bestRight = -Infinity;
  for (const t of grid) {
    const f = figures(vs, mode, tRecall, t);
    if (f.noise <= noiseAim && f.right > bestRight) [bestRight, tPrompt] = [f.right, t];
  }
  return { tRecall, tPrompt };
}

async function main(argv: readonly string[]): Promise<void> {
  promptOnly = argv.includes('--prompt-model');
  const promptDropAt = argv.indexOf('--prompt-drop');
  if (promptDropAt >= 0)
    promptDrop = new Set((argv[promptDropAt + 1] ?? '').split(',').filter((w) => w !== '' && w !== 'none'));
  const floorAt = argv.indexOf('--floor');
  if (floorAt >= 0) promptFloor = Number(argv[floorAt + 1]);
  const at = argv.indexOf('--skip');
  const skip = at >= 0 ? (argv[at + 1] ?? '').split(',').filter((w) => w !== '') : [];
  const modeAt = argv.indexOf('--mode');
  // Only `replace` is what the ranking runs; the other modes are studies (docs/recall.md).
  const modes: Mode[] = modeAt >= 0 ? [argv[modeAt + 1] as Mode] : ['replace'];
  const reportAt = argv.indexOf('--report');
  const report = reportAt >= 0 ? argv[reportAt + 1] : undefined;
  // The rules that veto the gate (see GateVeto in search.ts); the shipped ones by default.
  const vetoAt = argv.indexOf('--vetoes');
  const vetoes =
    vetoAt >= 0
      ? ((argv[vetoAt + 1] ?? '').split(',').filter((w) => w !== '' && w !== 'none') as GateVeto[])
      : RECALL_DEFAULTS.gateVetoes;
  const promptVetoAt = argv.indexOf('--prompt-vetoes');
  const promptVetoes =
    promptVetoAt >= 0
      ? ((argv[promptVetoAt + 1] ?? '').split(',').filter((w) => w !== '' && w !== 'none') as GateVeto[])
      : RECALL_DEFAULTS.promptGateVetoes;
  process.stdout.write(
    `vetoes: ${vetoes.join(',') || 'none'}; at prompt: ${promptVetoes.join(',') || 'none'}\n`,
  );
  const withAt = argv.indexOf('--with');
  const spent = withAt >= 0 ? (argv[withAt + 1] ?? '').split(',').filter((w) => w !== '') : [];
  const qs = collect(skip, spent, vetoes, promptVetoes, RECALL_DEFAULTS.gatePeers);
  // Prompt-time recall's model learns from pools whose notes are compared with every other candidate
  // (`gatePeers` off): its own pools hold the allowed repositories only, so only the examples it
  // borrows from `recall`'s pools differ. `--prompt-peers` fits it on the same pools as `recall`'s.
  const qsPrompt =
    RECALL_DEFAULTS.gatePeers && !argv.includes('--prompt-peers')
      ? collect(skip, spent, vetoes, promptVetoes, false)
      : qs;
  // Feature ablation: the named features are held at 0.
  const dropAt = argv.indexOf('--drop');
  const drop = new Set(dropAt >= 0 ? (argv[dropAt + 1] ?? '').split(',') : []);
  const dropped = GATE_FEATURES.map((name) => drop.has(name));
  for (const q of new Set([...qs, ...qsPrompt]))
    for (const c of [...q.large, ...q.bucket, ...q.prompt]) c.x = c.x.map((v, j) => (dropped[j] ? 0 : v));
  // Hard rules kept with the gate: candidates with the named flag set are never returned.
  const hardAt = argv.indexOf('--hard');
  const hard = GATE_FEATURES.flatMap((name, j) =>
    hardAt >= 0 && (argv[hardAt + 1] ?? '').split(',').includes(name) ? [j] : [],
  );
  for (const q of new Set([...qs, ...qsPrompt])) {
    const keep = (c: Pooled): boolean => hard.every((j) => c.x[j] === 0);
    [q.large, q.bucket, q.prompt] = [q.large.filter(keep), q.bucket.filter(keep), q.prompt.filter(keep)];
  }
  const rulesReport = evaluateRecall({
    sets: spent.length > 0 ? ['dev', 'test'] : ['dev'],
    testDir: spent.length > 0 ? RECALL_TEST_DIR : join(RECALL_FIXTURE_DIR, 'no-test-half'),
    devFiles: { skip },
    testFiles: { skip: ['records.json', 'queries.json'], only: spent },
    params: { gate: false, promptGate: false },
  });
  // The rules over the same queries as the gate (the spent batches' with the dev half's).
  const rules = spent.length > 0 ? evalFigures(rulesReport.outcomes) : rulesReport.sets['dev']?.all;
  const rulesOn = (only: string): void => {
    const f = evaluateRecall({
      sets: ['dev'],
      testDir: join(RECALL_FIXTURE_DIR, 'no-test-half'),
      devFiles: { skip, only: [only] },
      params: { gate: false, promptGate: false },
    }).sets['dev']?.all;
    if (f === undefined) return;
    process.stdout.write(
      `rules on ${only}: ${line({ r1: f.recallAt1, r5: f.recallAt5, bucketR1: f.bucketRecallAt1, emptyLarge: f.emptyLarge, emptyBucket: f.emptyBucket, right: f.promptRight, noise: f.promptNoise })}\n`,
    );
  };
  if (report !== undefined) rulesOn(report);
  if (rules !== undefined) {
    const rulesFigures: Figures = {
      r1: rules.recallAt1,
      r5: rules.recallAt5,
      bucketR1: rules.bucketRecallAt1,
      emptyLarge: rules.emptyLarge,
      emptyBucket: rules.emptyBucket,
      right: rules.promptRight,
      noise: rules.promptNoise,
    };
    process.stdout.write(
      `${qs.length} dev queries; rules (tuned on all of dev): ${line(rulesFigures)} | accuracy ${pct(accuracy(qs, rulesFigures))}\n`,
    );
  }
  // Prompt-time recall may not be noisier than the rules on the same queries (in-sample for the
  // rules, so a strict aim), and never above 10%.
  // The aim is a point below the 10% target: a threshold chosen on the same queries is optimistic,
  // and on the blind batches the 10% choice landed above 10%.
  const noiseAim = Math.min(PROMPT_NOISE_AIM, rules?.promptNoise ?? PROMPT_NOISE_AIM);
  process.stdout.write(`prompt noise aim: ${pct(noiseAim)}\n`);
  const lambdaAt = argv.indexOf('--lambda');
  const lambdas = lambdaAt >= 0 ? [Number(argv[lambdaAt + 1])] : [1e-5, 1e-4, 1e-3, 1e-2];
  const tried: Array<{
    mode: Mode;
    lambda: number;
    value: number;
    tRecall: number;
    tPrompt: number;
    promptRight: number;
    p: { recall: number[]; prompt: number[] };
  }> = [];
  for (const mode of modes) {
    const vs = views(qs, mode);
    const promptVs = qsPrompt === qs ? vs : views(qsPrompt, mode);
    const sanity = figures(vs, mode, 0, 0);
    process.stdout.write(`${mode}: ${examples(vs, mode).length} examples; gate open: ${line(sanity)}\n`);
    for (const lambda of lambdas) {
      crossValidate(vs, promptVs, mode, lambda);
      const { tRecall, tPrompt } = chooseThresholds(vs, mode, noiseAim, rules?.recallAt1);
      const f = figures(vs, mode, tRecall, tPrompt);
      process.stdout.write(
        `  leave-one-repository-out, λ=${lambda} t=${tRecall.toFixed(3)}/${tPrompt.toFixed(3)}: ${line(f)} | accuracy ${pct(accuracy(vs, f))}\n`,
      );
      if (argv.includes('--curve')) {
        for (const t of [
          0.2, 0.275, 0.3, 0.35, 0.4, 0.5, 0.55, 0.575, 0.6, 0.625, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9,
        ]) {
          const g = figures(vs, mode, t, t);
          const sub =
            report === undefined
              ? undefined
              : figures(
                  vs.filter((q) => q.query.id.startsWith(report)),
                  mode,
                  t,
                  t,
                );
          process.stdout.write(
            `    at ${t}: R@1 ${pct(g.r1)} empty ${pct(g.emptyLarge)} / ${pct(g.emptyBucket)} prompt right ${pct(g.right)} noise ${pct(g.noise)}` +
              (sub
                ? ` | ${report}: R@1 ${pct(sub.r1)} empty ${pct(sub.emptyLarge)} / ${pct(sub.emptyBucket)} right ${pct(sub.right)} noise ${pct(sub.noise)}`
                : '') +
              '\n',
          );
        }
      }
      if (report !== undefined) {
        const sub = vs.filter((q) => q.query.id.startsWith(report));
        process.stdout.write(
          `    ${report} only (${sub.length}): ${line(figures(sub, mode, tRecall, tPrompt))}\n`,
        );
        for (const lang of ['zh', 'mixed']) {
          const byLang = sub.filter((q) => q.query.language === lang);
          process.stdout.write(
            `    ${report}, ${lang} (${byLang.length}): ${line(figures(byLang, mode, tRecall, tPrompt))}\n`,
          );
        }
      }
      if (argv.includes('--prompt-curve')) {
        // Prompt-time trade-off: the most right notes at each noise aim, one threshold for all.
        const grid = Array.from({ length: 39 }, (_, i) => 0.025 + i * 0.025);
        const sub = report === undefined ? vs : vs.filter((q) => q.query.id.startsWith(report));
        const offsets = argv.includes('--cjk-offsets') ? [-0.1, -0.05, 0, 0.05, 0.1, 0.15, 0.2] : [0];
        for (const aim of [0.07, 0.08, 0.09, 0.1])
          for (const offset of offsets) {
            promptCjkOffset = offset;
            let bestT = 0.975;
            let bestRight = -1;
            for (const t of grid) {
              const g = figures(vs, mode, tRecall, t);
              if (g.noise <= aim && g.right > bestRight) [bestRight, bestT] = [g.right, t];
            }
            const g = figures(vs, mode, tRecall, bestT);
            const h = figures(sub, mode, tRecall, bestT);
            const zh = figures(
              sub.filter((q) => q.query.language !== 'en'),
              mode,
              tRecall,
              bestT,
            );
            process.stdout.write(
              `    prompt at noise ≤ ${pct(aim)}: t=${bestT.toFixed(3)}${offset === 0 ? '' : `, zh +${offset}`} right ${pct(g.right)} noise ${pct(g.noise)}` +
                ` | ${report ?? 'all'}: right ${pct(h.right)} noise ${pct(h.noise)}` +
                ` | non-en: right ${pct(zh.right)} noise ${pct(zh.noise)}\n`,
            );
          }
        promptCjkOffset = undefined;
      }
      tried.push({
        mode,
        lambda,
        value: accuracy(vs, f),
        tRecall,
        tPrompt,
        promptRight: f.noise <= noiseAim ? f.right : -1,
        p: {
          recall: vs.flatMap((q) => [...q.large, ...q.bucket].map((c) => c.p)),
          prompt: vs.flatMap((q) => q.prompt.map((c) => c.p)),
        },
      });
    }
  }
  // The strongest regularisation whose accuracy is within a point of the best (the differences
  // between λ are within the noise of a few hundred queries; the simpler model is kept).
  const top = Math.max(...tried.map((t) => t.value));
  const best = tried.filter((t) => t.value >= top - 0.01).sort((a, b) => b.lambda - a.lambda)[0];
  // Prompt-time recall has its own regularisation: the most right notes at the noise aim (the
  // strongest λ within a point of the best), and the threshold found with it.
  const topRight = Math.max(...tried.filter((t) => t.mode === best?.mode).map((t) => t.promptRight));
  const bestPrompt = tried
    .filter((t) => t.mode === best?.mode && t.promptRight >= topRight - 0.01)
    .sort((a, b) => b.lambda - a.lambda)[0];
  if (best === undefined || bestPrompt === undefined) return;
  process.stdout.write(`accuracy by λ: ${tried.map((t) => `${t.lambda} ${pct(t.value)}`).join(', ')}\n`);
  process.stdout.write(
    `prompt right at noise ≤ ${pct(noiseAim)} by λ: ${tried.map((t) => `${t.lambda} ${pct(t.promptRight)}`).join(', ')}\n`,
  );
  const vs = views(qs, best.mode);
  {
    // The cross-validated figures of the two models together.
    let [i, j] = [0, 0];
    for (const q of vs) {
      for (const c of [...q.large, ...q.bucket]) c.p = best.p.recall[i++] as number;
      for (const c of q.prompt) c.p = bestPrompt.p.prompt[j++] as number;
    }
    const f = figures(vs, best.mode, best.tRecall, bestPrompt.tPrompt);
    process.stdout.write(`  cross-validated, both models: ${line(f)} | accuracy ${pct(accuracy(vs, f))}\n`);
    if (report !== undefined) {
      const sub = vs.filter((q) => q.query.id.startsWith(report));
      process.stdout.write(
        `    ${report} only: ${line(figures(sub, best.mode, best.tRecall, bestPrompt.tPrompt))}\n`,
      );
      for (const lang of ['zh', 'mixed']) {
        const byLang = sub.filter((q) => q.query.language === lang);
        process.stdout.write(
          `    ${report}, ${lang}: ${line(figures(byLang, best.mode, best.tRecall, bestPrompt.tPrompt))}\n`,
        );
      }
    }
  }
  const n = examples(vs, best.mode);
  const model = fit(n, best.lambda);
  const promptModel = fit(
    masked(qsPrompt === qs ? n : examples(views(qsPrompt, best.mode), best.mode)),
    bestPrompt.lambda,
  );
  const round = (x: number): number => Math.round(x * 1e4) / 1e4;
  process.stdout.write(
    `chosen ${best.mode}, λ=${best.lambda} / prompt λ=${bestPrompt.lambda}, thresholds ${best.tRecall.toFixed(3)} / ${bestPrompt.tPrompt.toFixed(3)}\n` +
      GATE_FEATURES.map(
        (name, j) =>
          `  ${name.padEnd(20)} ${round(model.weights[j] as number)} / ${round(promptModel.weights[j] as number)}`,
      ).join('\n') +
      `\n  ${'bias'.padEnd(20)} ${round(model.bias)} / ${round(promptModel.bias)}\n`,
  );
  if (argv.includes('--dry-run') || best.mode !== 'replace') return;
  const command = `npx tsx scripts/train-recall-gate.ts${skip.length > 0 ? ` --skip ${skip.join(',')}` : ''}${spent.length > 0 ? ` --with ${spent.join(',')}` : ''}`;
  const text = [
    `// Generated by \`${command}\`; do not edit.`,
    `// Fitted on ${qs.length} dev queries (${n.length} examples); λ = ${best.lambda} (prompt-time`,
    `// recall: λ = ${bestPrompt.lambda}); λ and thresholds chosen by leave-one-repository-out`,
    '// cross-validation (see docs/recall.md).',
    '/** Coefficients of the answerability gate (gate.ts), one weight per feature of GATE_FEATURES. */',
    'export const GATE_MODEL = {',
    `  features: ${JSON.stringify(GATE_FEATURES)} as readonly string[],`,
    `  weights: ${JSON.stringify(model.weights.map(round))} as readonly number[],`,
    `  bias: ${round(model.bias)},`,
    `  recallThreshold: ${best.tRecall.toFixed(3)},`,
    '  /** Prompt-time recall: the same features, its own regularisation and threshold. */',
    '  prompt: {',
    `    weights: ${JSON.stringify(promptModel.weights.map(round))} as readonly number[],`,
    `    bias: ${round(promptModel.bias)},`,
    '  },',
    `  promptThreshold: ${bestPrompt.tPrompt.toFixed(3)},`,
    '};',
    '',
  ].join('\n');
  // The generated file is formatted as every source file is (the lint checks it).
  const options = { ...(await resolveConfig(MODEL_FILE)), filepath: MODEL_FILE };
  writeFileSync(MODEL_FILE, await format(text, options));
  process.stdout.write(`wrote ${MODEL_FILE}\n`);
}

await main(process.argv.slice(2));
