/**
 * Secret redaction (the Python package sent raw transcripts to third parties and kept
 * them forever). Every string that may be persisted, logged or sent to a reviewer goes through
 * {@link redactText} or {@link redactDeep} first.
 *
 * Design:
 * - An ordered list of rules, each one precompiled global regex plus an optional decision function.
 *   Specific formats (PEM blocks, JWTs, vendor prefixes) run before context rules (auth headers,
 *   URL passwords, secret-looking assignments), which run before the generic high-entropy rule, so a
 *   secret is labelled with the most precise kind.
 * - Every regex is linear on adversarial input: a pattern starts with a literal prefix whose
 *   word boundary is checked by a lookbehind placed after it (so V8 can still skip ahead to the
 *   literal), or with a character class guarded by a lookbehind (so only one start per run of
 *   characters is tried); no quantified group can match the same text in two ways, and
 *   quantifiers that a later token can force to backtrack are bounded. One pass per rule.
 * - Works on raw JSON as well as on plain text: a JSON escape (`\n`, `\t`) counts as a boundary,
 *   a match never starts or ends inside an escape sequence, and quoted values may be JSON-escaped
 *   at any depth, so redacting a JSON document keeps it valid JSON.
 * - Idempotent: `[REDACTED:<kind>]` contains no character sequence any rule accepts, and the
 *   context rules refuse values that already hold a marker.
 * - False positives matter (memory must stay useful): commit SHAs, UUIDs and other pure-hex ids,
 *   paths, identifiers, base64 of ordinary text and variable references are left alone.
 * - Credentials are also found by position (password flags of known commands,
 *   `user:pass`, credential files, cookies, signed URLs, prose and Chinese labels, vendor prefixes
 *   with hex or dotted bodies), tokens wrapped across lines are re-joined before matching, and
 *   public material (data URIs, content hashes, public keys and certificates, CIDs, ULIDs) is
 *   shielded from every rule. test/fixtures/secrets holds the planted corpus and the look-alikes.
 */

/** Every kind a marker can name, in the order the rules run. */
export const REDACTION_KINDS = [
  'private_key',
  'jwt',
  'anthropic_key',
  'openai_key',
  'github_token',
  'gitlab_token',
  'slack_webhook',
  'slack_token',
  'google_api_key',
  'google_oauth_secret',
  'google_oauth_token',
  'stripe_key',
  'npm_token',
  'hf_token',
  'twilio_key',
  'sendgrid_key',
  'discord_token',
  'heroku_key',
  'vendor_token',
  'aws_access_key',
  'generic_sk_key',
  'aws_secret_key',
  'basic_auth',
  'bearer_token',
  'url_password',
  'cli_password',
  'config_password',
  'cookie',
  'signed_url',
  'env_assignment',
  'prose_password',
  'high_entropy',
] as const;

/** The name carried by a `[REDACTED:<kind>]` marker. */
export type RedactionKind = (typeof REDACTION_KINDS)[number];

/** What {@link redactText} returns. */
export interface RedactionResult {
  /** The input with every secret replaced by `[REDACTED:<kind>]`. */
  text: string;
  /** Number of replacements per kind; kinds with no replacement are absent. */
  counts: Record<string, number>;
}

/** The marker that replaces a secret of `kind`. */
export function redactionMarker(kind: RedactionKind): string {
  return `[REDACTED:${kind}]`;
}

const MARKER_PREFIX = '[REDACTED:';

/** State threaded through one redaction: counts per kind and the nesting depth of assignments. */
interface Ctx {
  counts: Record<string, number>;
  depth: number;
}

/**
 * A rule: a global regex and a function that, given the match and its groups, returns the
 * replacement (after counting what it redacted with {@link hit}) or `null` to keep the match (a
 * candidate that turned out not to be a secret).
 */
interface Rule {
  kind: RedactionKind;
  re: RegExp;
  decide: (match: string, groups: (string | undefined)[], ctx: Ctx) => string | null;
  /** A rule that is not one regex replace: runs on the whole text instead of `re`/`decide`. */
  apply?: (text: string, ctx: Ctx) => string;
  /**
   * A cheap test (a literal V8 can search for) the text must pass before `re` runs: rules whose
   * regex starts with a lookbehind or a class are tried at every position otherwise, which the
   * Stop hook pays on every turn.
   */
  gate?: RegExp;
}

function hit(ctx: Ctx, kind: RedactionKind): string {
  ctx.counts[kind] = (ctx.counts[kind] ?? 0) + 1;
  return redactionMarker(kind);
}

/** Replaces the whole match. */
function whole(kind: RedactionKind): Rule['decide'] {
  return (_m, _g, ctx) => hit(ctx, kind);
}

// ---------------------------------------------------------------------------------------------
// Heuristics shared by several rules
// ---------------------------------------------------------------------------------------------

/** Shannon entropy in bits per character. */
function shannonEntropy(s: string): number {
  const freq = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    freq.set(c, (freq.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of freq.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Mean length of the "words" of `s`: alphanumeric pieces split at separators and at class changes
 * (a capital followed by lowercase letters counts as one word, as in camelCase). Human-made strings
 * (identifiers, paths, kebab names) have words of 4+ characters; random tokens switch class every
 * one or two characters.
 */
function meanWordLength(s: string): number {
  const words = s.match(/[A-Z][a-z]+|[a-z]+|[A-Z]+(?![a-z])|[0-9]+/g);
  if (!words || words.length === 0) return 0;
  let letters = 0;
  for (const w of words) letters += w.length;
  return letters / words.length;
}

/** Share of vowels among the letters of `s` (about 0.19 in random text, 0.38 in English words). */
function vowelRatio(s: string): number {
  const letters = s.replace(/[^A-Za-z]/g, '');
  if (letters.length === 0) return 0;
  return letters.replace(/[^aeiouAEIOU]/g, '').length / letters.length;
}

/**
 * True when `s` is base64 (or base64url) of ordinary text: it decodes to printable characters
 * holding no secret. (Base64 of a secret, as in Kubernetes manifests, stays a secret.)
 */
function isBase64OfPlainText(s: string): boolean {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) return false;
  const bytes = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length < 12) return false;
  let printable = 0;
  for (const b of bytes) if ((b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
  if (printable / bytes.length < 0.95) return false;
  // Shorter than `s`, so this recursion ends.
  return !containsSecret(bytes.toString('latin1'));
}

/** True when most neighbours are consecutive characters: alphabets such as `abcdef…0123456789`. */
function isMostlySequential(s: string): boolean {
  let steps = 0;
  for (let i = 1; i < s.length; i++) if (s.charCodeAt(i) - s.charCodeAt(i - 1) === 1) steps++;
  return steps / (s.length - 1) > 0.3;
}

/**
 * True when a 32+ character run of base64/hex characters looks like a random secret.
 * Pure hex (commit SHAs, digests, UUIDs) is never a match: ids are what memory wants to keep, and
 * hex secrets are caught by their context (an assignment, a header, a URL) instead.
 */
export function looksRandomToken(token: string): boolean {
  const s = token.replace(/=+$/, '');
  if (s.length < 32) return false;
  // Subresource-integrity hashes in lockfiles: a digest, not a secret.
  if (/^sha(?:1|256|384|512)-/.test(s)) return false;
  // A file path (`/tmp/csep-test-Xq9ZkP/projects/-tmp-…--a1b2c3d4e5`): standard base64 has no
  // `-` or `_`, and base64url has no `/`, so a run holding both kinds is a path, not a key.
  if (s.includes('/') && /[-_]/.test(s)) return false;
  // Drop the hex of ids such as `msg_<uuid>`, `rollout-2026-11-26T04-27-01-<uuid>` or
  // `commit<sha>`; what is left must still be long and random.
  const core = s
    .split(/[-_/+]/)
    .map((part) => (/^[0-9a-fA-F]*$/.test(part) ? '' : part.replace(/[0-9a-fA-F]{12,}/g, '')))
    .filter((part) => part.length > 0)
    .join('-');
  if (core.length < 24) return false;
  const upper = /[A-Z]/.test(core);
  const lower = /[a-z]/.test(core);
  if (!upper && !lower) return false;
  if (isMostlySequential(core)) return false;
  const wordLength = meanWordLength(core);
  const wordy = wordLength >= 4 || (wordLength >= 3 && vowelRatio(core) >= 0.3);
  if (upper && lower) {
    // camelCase / PascalCase identifiers have long words; random text switches case constantly.
    if (!/[0-9]/.test(core) && wordLength >= 2) return false;
    if (wordy) return false;
  } else {
    // Single case: slugs, constants, URL paths, unless digit-dense and unpronounceable (six
    // consonants in a row, as in "zpcbgydjrx", are not a word whatever the word lengths say).
    const digits = core.replace(/[^0-9]/g, '').length;
    if (digits / core.length < 0.15) return false;
    if (wordy && !/[b-df-hj-np-tv-xz]{6}|[B-DF-HJ-NP-TV-XZ]{6}/.test(core)) return false;
  }
  if (shannonEntropy(core) < 3.6) return false;
  if (isBase64OfPlainText(s)) return false;
  return true;
}

/** Splits an assignment name into lowercase words: `apiKey` → api,key; `DB_PASSWORD` → db,password. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Last words that make a name secret on their own (`*_TOKEN`, `*_PASSWORD`, ...). */
const SECRET_LAST_WORDS = new Set([
  'token',
  'secret',
  'secrets',
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'credential',
  'credentials',
  'creds',
  'apikey',
  'secretkey',
  'accesskey',
  'privatekey',
  'authtoken',
  'accesstoken',
  'refreshtoken',
  'clientsecret',
  'pat',
]);
/** `*_KEY` names that are not secrets (`PRIMARY_KEY`, `CACHE_KEY`, `PUBLIC_KEY`...). */
const NON_SECRET_KEY_PREFIXES = new Set([
  'primary',
  'foreign',
  'sort',
  'partition',
  'cache',
  'public',
  'pub',
  'idempotency',
  'unique',
  'row',
  'map',
  'object',
  'hash',
  'lookup',
  'hot',
  'shortcut',
  'keyboard',
  'index',
  'composite',
  'range',
  'cluster',
  'routing',
  'group',
  'message',
  'i18n',
  'translation',
  'dedupe',
  'dedup',
  'react',
  'list',
  'item',
  'cursor',
  'natural',
  'surrogate',
  'table',
  'column',
  'field',
  'query',
  'search',
  'order',
  'shard',
  'bucket',
  'lock',
  'metric',
  'label',
  'tag',
  'state',
  'dict',
  'entry',
  'record',
  'event',
  'job',
  'queue',
  'config',
  'setting',
  'env',
  'registry',
  'last',
  'first',
  'next',
  'prev',
  'current',
  'parent',
  'child',
  'node',
  'min',
  'max',
  'path',
  'valid',
  'invalid',
  'sequence',
  'secondary',
  'global',
  'thresholds',
  'threshold',
]);
/** `*_TOKEN` names that are not secrets (pagination cursors, tokenizer specials, limits). */
const NON_SECRET_TOKEN_PREFIXES = new Set([
  'page',
  'next',
  'prev',
  'previous',
  'continuation',
  'cursor',
  'max',
  'min',
  'num',
  'cancellation',
  'cancel',
  'abort',
  'lexer',
  'parser',
  'ast',
  'syntax',
  'end',
  'start',
  'eof',
  'special',
  'bos',
  'eos',
  'pad',
  'unk',
  'mask',
  'sep',
  'cls',
  'stop',
  'sync',
]);
/** Last words that describe a secret without being one (`PASSWORD_FILE`, `SECRET_NAME`...). */
const NON_SECRET_LAST_WORDS = new Set([
  'path',
  'file',
  'files',
  'dir',
  'name',
  'names',
  'id',
  'ids',
  'url',
  'uri',
  'length',
  'len',
  'min',
  'max',
  'count',
  'size',
  'type',
  'field',
  'label',
  'prompt',
  'hint',
  'policy',
  'env',
  'var',
  'header',
  'rotation',
  'ttl',
  'expiry',
  'expires',
  'at',
  'version',
  'arn',
  'ref',
  'hash',
  'enabled',
  'disabled',
  'required',
  'mode',
  'format',
  'regex',
  'pattern',
  'placeholder',
  'provider',
  'manager',
  'store',
  'location',
  'source',
  'kind',
  'prefix',
  'suffix',
  'command',
  'cmd',
  'helper',
  'help',
  'description',
  'desc',
  'text',
  'message',
  'error',
  'len',
  'lifetime',
  'timeout',
  'reset',
  'strength',
  'validator',
  'schema',
  'input',
  'key',
  'stdin',
  'stdout',
]);
/** Single words ending with these are secret (`PGPASSWORD`, `authtoken`, `GITHUBTOKEN`). */
const SECRET_SUFFIX_RE =
  /(?:password|passwd|token|secret|apikey|secretkey|accesskey|privatekey|credentials)$/;

/**
 * camelCase `…Key` names in code are mostly map keys (`cacheKey`, `ssrImportKey`), so in camelCase
 * only these prefixes make a `…Key` secret; other names (`*_KEY`, `x-api-key`, `AccountKey`)
 * follow env conventions, where a key is a secret unless its prefix says otherwise.
 */
const SECRET_CAMEL_KEY_PREFIXES = new Set([
  'api',
  'access',
  'secret',
  'private',
  'signing',
  'sign',
  'encryption',
  'encrypt',
  'decryption',
  'master',
  'license',
  'auth',
  'subscription',
  'webhook',
  'hmac',
  'jwt',
  'aes',
  'rsa',
  'ssh',
  'gpg',
  'pgp',
  'deploy',
  'shared',
  'consumer',
  'openai',
  'anthropic',
  'stripe',
  'aws',
  'gcp',
  'azure',
]);

/**
 * True when an assignment name looks like it holds a secret: `*_KEY`, `*_TOKEN`, `*_SECRET`,
 * `PASSWORD`, `PASSWD`, `*_PWD`, `API_KEY`, `ACCESS_KEY`, `CREDENTIALS`, `PRIVATE_*`,
 * case-insensitive, in snake, kebab, dotted or camel case. Bare `key`, `pass` and `pwd` are not
 * (object keys, test counts, the shell's working directory), nor are long sentence-like names
 * (message catalogue keys such as `Private_identifiers_are_not_allowed_…`).
 */
export function isSecretName(name: string): boolean {
  // `this._key`, `config.apiKey`, `aws.secret_key`: the last member is the name.
  const member = name.slice(name.lastIndexOf('.') + 1);
  const words = nameWords(member);
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (words.length === 1) {
    if (last === 'key' || last === 'pass' || last === 'pwd' || last === 'oldpwd' || last === 'pat')
      return false;
    return SECRET_LAST_WORDS.has(last) || SECRET_SUFFIX_RE.test(last);
  }
  const prev = words[words.length - 2] ?? '';
  if (last === 'key') {
    // camelCase starts lowercase; PascalCase (`AccountKey=` in connection strings) is config.
    const camel = /^[a-z][A-Za-z0-9]*$/.test(member);
    return camel ? SECRET_CAMEL_KEY_PREFIXES.has(prev) : !NON_SECRET_KEY_PREFIXES.has(prev);
  }
  if (last === 'token') return !NON_SECRET_TOKEN_PREFIXES.has(prev);
  if (SECRET_LAST_WORDS.has(last) || SECRET_SUFFIX_RE.test(last)) return true;
  if (NON_SECRET_LAST_WORDS.has(last) || words.length > 4) return false;
  // PRIVATE_*, SECRET_KEY_BASE, DB_PASSWORD_ENCRYPTED...
  if (words[0] === 'private') return true;
  return words.some((w) => w === 'secret' || w === 'password' || w === 'passwd' || w === 'credentials');
}

/** Unquoted values that are types, keywords or placeholders in code and config, not secrets. */
const NON_SECRET_VALUES = new Set([
  'string',
  'number',
  'boolean',
  'bool',
  'any',
  'unknown',
  'never',
  'void',
  'object',
  'null',
  'undefined',
  'nil',
  'none',
  'true',
  'false',
  'str',
  'int',
  'bytes',
  'optional',
  'required',
  'redacted',
  'masked',
  'hidden',
  'omitted',
  'removed',
  'secretstr',
  'secretstring',
  'buffer',
  'uint8array',
  'text',
  'varchar',
  'char',
  'blob',
  'keyof',
  'typeof',
  'readonly',
  'new',
  'await',
  'function',
  'this',
  'self',
  'default',
  'unset',
  'empty',
  'unique',
  'infer',
  'value',
  // fetch's `credentials` option.
  'omit',
  'include',
  'same-origin',
  'use-credentials',
]);

/** Documentation placeholders in `scheme://user:password@host` examples. */
const PLACEHOLDER_PASSWORDS = new Set(['password', 'passwd', 'pass', 'pwd', 'secret', 'pw', 'placeholder']);

/** Shared by every context rule: values that are references, placeholders or already redacted. */
function isPlaceholderValue(v: string): boolean {
  if (v.length === 0) return true;
  if (v.includes(MARKER_PREFIX) || v.includes(SHIELD_OPEN)) return true;
  // Shell / template / Windows references: $VAR, ${VAR}, {{ var }}, %VAR%.
  if (v.startsWith('$') || v.includes('${') || v.includes('{{') || /^%[A-Za-z_][\w]*%$/.test(v)) return true;
  // <placeholder>, masks such as *** or xxxx, ellipses.
  if (/^<[^>]*>$/.test(v) || /^[*xX.•…-]+$/.test(v)) return true;
  if (/^(?:your|insert|replace|enter|placeholder)[-_ ]/i.test(v)) return true;
  // Version ranges (`"path-key": "^4.0.0"` in package.json) and fetch-style keywords.
  if (/^[~^<>=v]*\d+\.\d+(?:\.\d+)?(?:[-+][\w.]+)?$/.test(v)) return true;
  if (NON_SECRET_VALUES.has(v.toLowerCase())) return true;
  // Paths (key files, credential files) are locations, not secrets.
  if (/^(?:~|\.{1,2})?\/[^\s]*$/.test(v) || /^[A-Za-z]:\\/.test(v)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

const PEM_HEAD = String.raw`-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----`;
// Body up to the next "-----" (so one BEGIN never scans past the next marker), bounded.
const PEM_COMPLETE = String.raw`(?:[^-]|-(?!----)){0,32768}?-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----`;
// Truncated block (transcripts cut long outputs): the base64 lines that follow, each ≥ 16 chars,
// so ordinary prose after the cut is kept. `\n` may be a real newline or a JSON escape.
const PEM_TRUNCATED = String.raw`[A-Za-z0-9+/=]*(?:(?:\s|\\[rn])+(?:[A-Za-z0-9+/=]{16,}|Proc-Type:[^\r\n\\]*|DEK-Info:[^\r\n\\]*))*`;

/** Characters of an opaque bearer/basic credential (RFC 6750 b64token). */
const CRED = String.raw`[A-Za-z0-9._~+/-]+=*`;

/** Quote around a JSON/YAML name or value, possibly JSON-escaped (`\"`). */
const Q = String.raw`\\?["']?`;

/**
 * "Not preceded by a character of `cls`", where a JSON escape (`\n`, `\r`, `\t`) also counts as
 * a boundary: in a raw JSONL line, a key at the start of an escaped line follows the `n` of `\n`.
 * A backslash never starts a match, so a redaction never splits an escape sequence.
 */
function after(cls: string): string {
  // The backslash goes first: after a trailing '-' of `cls` it would form a range.
  return String.raw`(?:(?<![\\${cls}])|(?<=\\[nrt]))`;
}

/**
 * `prefix`, when not preceded by a character of `cls` (same boundary as {@link after}). The check
 * is a lookbehind placed after the prefix, so the regex still starts with a literal and V8 can
 * skip ahead to candidates: a leading alternation of lookbehinds made every rule ~15× slower.
 * `prefix` must not capture.
 */
function bounded(cls: string, prefix: string): string {
  return String.raw`${prefix}(?<=(?:^|[^\\${cls}]|\\[nrt])${prefix})`;
}

/** A character of an unquoted value: not whitespace, a quote, or a JSON escape (`\n`, `\"`). */
const BARE = String.raw`(?:[^\s"'\x60\\]|\\(?![nrt"]))`;
/** Same, also stopping at the delimiters of code and query strings. */
const BARE_CODE = String.raw`(?:[^\s"'\x60,;&<>(){}[\]\\]|\\(?![nrt"]))`;

/**
 * Secret-looking assignments. Groups:
 * 1-2 `.env`/shell `NAME=value` (the value runs to whitespace: it may hold `& ; ,`);
 * 3-11 a name (maybe quoted, JSON-escaped at any depth) and a separator (`=`, `:`, `:=`, `=>`),
 *   then a value: 6 double-quoted, 7 single-quoted, 9 JSON-escaped quoted (8 = its backslashes),
 *   10 bare (11 = the next character when it may make the value code: `(`, `[` or `;`);
 * 12-15 a command-line flag `--name value` / `--name=value`: 13 double, 14 single, 15 bare.
 */
const ASSIGNMENT_SOURCE =
  after(String.raw`\w.$-`) +
  `(?:` +
  String.raw`([A-Z][A-Z0-9_]{1,99})=(${BARE}{1,4096})` +
  `|` +
  String.raw`(\\*["']|)([A-Za-z_][\w.-]{0,99})\3([ \t]*(?::=|=>|=(?!=)|:(?!:))[ \t]*)` +
  String.raw`(?:"((?:[^"\\\r\n]|\\.){1,4096})"|'([^'\r\n]{1,4096})'|(\\+)"([^"\\\r\n]{1,4096})\8"|(${BARE_CODE}{1,4096})(?=([(\[;]?)))` +
  `|` +
  String.raw`--([A-Za-z][\w-]{1,60})(?:=|[ \t]+)(?:"([^"\r\n]{1,4096})"|'([^'\r\n]{1,4096})'|([^\s"'\x60\\-]${BARE}{0,4095}))` +
  `)`;

/**
 * How deep a rejected assignment's value is searched again for a nested one
 * (`FOO=a,password=b`). Bounded so the work stays linear: each character is scanned at most
 * MAX_DEPTH + 1 times by this rule.
 */
const MAX_DEPTH = 2;
/** One compiled instance per depth: a replace callback must not reuse the regex being replaced. */
const ASSIGNMENT_RES: readonly RegExp[] = Array.from(
  { length: MAX_DEPTH + 1 },
  () => new RegExp(ASSIGNMENT_SOURCE, 'g'),
);

/** Names worth the full {@link isSecretName} check (most assignments in code fail this at once). */
const SECRET_NAME_HINT_RE = /key|token|secret|pass|pwd|cred|private|pat/i;

/** Compiles a rule's source (global by default): every regex is built once, at module load. */
function rx(source: string, flags = 'g'): RegExp {
  return new RegExp(source, flags);
}

const W = String.raw`\w-`;

// ---------------------------------------------------------------------------------------------
// Credentials known by their position: password flags, user:pass, credential files,
// cookies, signed URLs, prose and labelled passwords, vendor prefixes with hex or dotted bodies.
// ---------------------------------------------------------------------------------------------

/**
 * Vendor tokens whose body alone looks like an id (hex, dotted): the prefix says "credential".
 * Each body pattern is anchored at the start of what follows the prefix.
 */
const VENDOR_BODIES: ReadonlyArray<readonly [RegExp, RegExp]> = [
  [/^hv[sbr]\.$/, /^[A-Za-z0-9_-]{24,}/], // HashiCorp Vault
  [/^shp(?:at|ca|pa|ss)_$/, /^[a-fA-F0-9]{32}(?![A-Za-z0-9])/], // Shopify
  [/^dapi$/, /^[a-f0-9]{32}(?:-\d)?(?![A-Za-z0-9])/], // Databricks
  [/^key-$/, /^[a-f0-9]{32}(?![A-Za-z0-9])/], // Mailgun
  [/^do[opr]_v1_$/, /^[a-f0-9]{64}(?![A-Za-z0-9])/], // DigitalOcean
  [/^sntry[su]_$/, /^[A-Za-z0-9+/=_]{40,}/], // Sentry auth tokens
  [/^glsa_$/, /^[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}(?![A-Za-z0-9])/], // Grafana service account
  [/^glc_$/, /^[A-Za-z0-9+/]{32,}={0,2}/], // Grafana Cloud
  [/^pypi-$/, /^AgE[A-Za-z0-9_-]{50,}/], // PyPI
  [/^dckr_pat_$/, /^[A-Za-z0-9_-]{20,}/], // Docker Hub
  [/^nfp_$/, /^[A-Za-z0-9]{30,}/], // Netlify
  [/^lin_api_$/, /^[A-Za-z0-9]{40}/], // Linear
  [/^PMAK-$/, /^[a-f0-9]{24}-[a-f0-9]{34}/], // Postman
  [/^figd_$/, /^[\w-]{30,}/], // Figma
  [/^ntn_$/, /^[A-Za-z0-9]{30,}/], // Notion
  [/^tskey-(?:auth|api|client)-$/, /^[\w-]{20,}/], // Tailscale
  [/^xkeysib-$/, /^[a-f0-9]{64}-[A-Za-z0-9]{16}/], // Brevo
  [/^pscale_(?:pw|tkn|oauth)_$/, /^[\w.-]{32,64}/], // PlanetScale
  [/^sq0(?:atp|csp)-$/, /^[\w-]{22,43}/], // Square
  [/^rubygems_$/, /^[a-f0-9]{48}/], // RubyGems
  [/^CFPAT-$/, /^[\w-]{43}/], // Contentful
  [/^AGE-SECRET-KEY-1$/, /^[A-Z0-9]{58}/], // age
  [/^pul-$/, /^[a-f0-9]{40}(?![A-Za-z0-9])/], // Pulumi
  [/^dp\.(?:pt|st|ct|sa|scim|audit)\.$/, /^[A-Za-z0-9]{40,44}/], // Doppler
  [/^xai-$/, /^[A-Za-z0-9]{60,}/], // xAI
  [/^gsk_$/, /^[A-Za-z0-9]{48,}/], // Groq
  [/^r8_$/, /^[A-Za-z0-9]{37}(?![A-Za-z0-9])/], // Replicate
  [/^pplx-$/, /^[A-Za-z0-9]{48}/], // Perplexity
  [/^nvapi-$/, /^[\w-]{60,}/], // NVIDIA
  [/^mfa\.$/, /^[\w-]{80,}/], // Discord MFA tokens
  [/^LTAI$/, /^[A-Za-z0-9]{12,30}(?![A-Za-z0-9])/], // Alibaba Cloud AccessKey id
  [/^AKID$/, /^[A-Za-z0-9]{32}(?![A-Za-z0-9])/], // Tencent Cloud SecretId
  [/^AKLT$/, /^[\w-]{30,}/], // Volcengine
];
const VENDOR_PREFIXES = String.raw`(?:hv[sbr]\.|shp(?:at|ca|pa|ss)_|dapi|key-|do[opr]_v1_|sntry[su]_|glsa_|glc_|pypi-|dckr_pat_|nfp_|lin_api_|PMAK-|figd_|ntn_|tskey-(?:auth|api|client)-|xkeysib-|pscale_(?:pw|tkn|oauth)_|sq0(?:atp|csp)-|rubygems_|CFPAT-|AGE-SECRET-KEY-1|pul-|dp\.(?:pt|st|ct|sa|scim|audit)\.|xai-|gsk_|r8_|pplx-|nvapi-|mfa\.|LTAI|AKID|AKLT)`;

function decideVendor(_m: string, g: (string | undefined)[], ctx: Ctx): string | null {
  const [prefix = '', body = ''] = g;
  for (const [pre, shape] of VENDOR_BODIES) {
    if (!pre.test(prefix)) continue;
    const m = shape.exec(body);
    // Pure letters after a prefix are a word (`key-management`), never a token.
    if (!m || !/[0-9]/.test(m[0])) return null;
    return `${hit(ctx, 'vendor_token')}${body.slice(m[0].length)}`;
  }
  return null;
}

/** Discord-style token without a prefix: base64 of a numeric id, a timestamp, an HMAC. */
function decideDiscord(_m: string, g: (string | undefined)[], ctx: Ctx): string | null {
  const id = Buffer.from(g[0] ?? '', 'base64url').toString('latin1');
  return /^\d{15,21}$/.test(id) ? hit(ctx, 'discord_token') : null;
}

/**
 * Commands whose password flags are known, with the flags that take a password: attached
 * (`-pX`) and separate (`-p X`). `mysql -p X` prompts and X is the database, so only attached.
 */
const PASSWORD_FLAGS: ReadonlyArray<readonly [RegExp, readonly string[], readonly string[]]> = [
  [/^(?:mysql|mariadb)/, ['-p'], []],
  [/^sshpass/, ['-p'], ['-p']],
  [/^(?:mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport)$/, [], ['-p', '--password']],
  [/^redis-cli/, ['-a'], ['-a', '--pass']],
  [/^(?:sqlcmd|bcp)/, ['-P'], ['-P']],
  [/login$/, ['-p'], ['-p', '--password']],
];
const PASSWORD_COMMAND = String.raw`(?:mysql(?:dump|admin|import|sh|check|show|slap)?|mariadb(?:-dump|-admin)?|sshpass|mongo(?:sh|dump|restore|export|import)?|redis-cli|sqlcmd|bcp|(?:docker|podman|buildah|skopeo|nerdctl|oras|crane|helm[ \t]+registry)[ \t]+login)`;
/** One shell argument: quoted or bare. Groups: 1 double-quoted, 2 single-quoted, 3 bare. */
const ARG_RE = /(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|((?:[^\s"'\\]|\\(?![nrt"]))+))/y;

/** A password-taking command, where its arguments start. */
const PASSWORD_COMMAND_RE = new RegExp(`${after(String.raw`\w./-`)}(${PASSWORD_COMMAND})(?![\\w-])`, 'g');
/** Where a command's arguments end: a line break (real or JSON-escaped) or a shell separator. */
const ARGS_END_RE = /[\r\n|;&]|\\[nrt"]/g;

/**
 * Redacts the password flags of every password-taking command in `text`. A command's arguments
 * run to the next command, line break or shell separator, with no window that could cut them.
 * Linear: the end of arguments is searched once per stretch of text, not once per command.
 */
function redactPasswordCommands(text: string, ctx: Ctx): string {
  PASSWORD_COMMAND_RE.lastIndex = 0;
  const commands = [...text.matchAll(PASSWORD_COMMAND_RE)];
  if (commands.length === 0) return text;
  let out = '';
  let last = 0;
  let argsEnd = -1;
  for (let k = 0; k < commands.length; k++) {
    const m = commands[k] as RegExpMatchArray;
    const start = (m.index ?? 0) + m[0].length;
    if (argsEnd < start) {
      ARGS_END_RE.lastIndex = start;
      argsEnd = ARGS_END_RE.exec(text)?.index ?? text.length;
    }
    const end = Math.min(argsEnd, commands[k + 1]?.index ?? text.length);
    if (end <= start) continue;
    const args = text.slice(start, end);
    const redacted = passwordArgsOf(m[1] ?? '', args, ctx);
    if (redacted === args) continue;
    out += text.slice(last, start) + redacted;
    last = end;
  }
  return last === 0 ? text : out + text.slice(last);
}

function passwordArgsOf(command: string, args: string, ctx: Ctx): string {
  const spec = PASSWORD_FLAGS.find(([re]) => re.test(command));
  if (!spec) return args;
  const [, attached, separate] = spec;
  let out = '';
  let i = 0;
  let pendingValue = false;
  let changed = false;
  while (i < args.length) {
    const ws = /[ \t]+/y;
    ws.lastIndex = i;
    const w = ws.exec(args);
    if (w) {
      out += w[0];
      i += w[0].length;
      continue;
    }
    ARG_RE.lastIndex = i;
    const a = ARG_RE.exec(args);
    if (!a) {
      out += args.slice(i);
      break;
    }
    const token = a[0];
    i += token.length;
    const value = a[1] ?? a[2] ?? a[3] ?? '';
    if (pendingValue) {
      pendingValue = false;
      if (!isPlaceholderValue(value) && !value.startsWith('-')) {
        out += token.replace(value, hit(ctx, 'cli_password'));
        changed = true;
        continue;
      }
    }
    if (a[3] !== undefined) {
      // `-p'x'`: the flag and its quoted value are one shell word.
      const quotedNext = attached.includes(token) && /["']/.test(args[i] ?? '');
      if (separate.includes(token) || quotedNext) {
        pendingValue = true;
      } else {
        const flag = attached.find((f) => token.startsWith(f) && token.length > f.length);
        const eq = separate.find((f) => f.startsWith('--') && token.startsWith(`${f}=`));
        const cut = flag !== undefined ? flag.length : eq !== undefined ? eq.length + 1 : -1;
        const v = cut >= 0 ? token.slice(cut).replace(/^(["'])(.*)\1$/, '$2') : '';
        if (cut >= 0 && /^[^\s]/.test(v) && !isPlaceholderValue(v)) {
          out += `${token.slice(0, cut)}${hit(ctx, 'cli_password')}`;
          changed = true;
          continue;
        }
      }
    }
    out += token;
  }
  return changed ? out : args;
}

/** `curl -u user:pass`, `--user`, `--proxy-user`, httpie `--auth`: the part after the colon. */
function decideUserPass(_m: string, g: (string | undefined)[], ctx: Ctx): string | null {
  const [head = '', user = '', password = ''] = g;
  if (isPlaceholderValue(password) || PLACEHOLDER_PASSWORDS.has(password.toLowerCase())) return null;
  // `docker run -u 1000:1000`, `-u node:node`: a uid:gid or user:group, not a password.
  if (/^\d{1,6}$/.test(password) || password === user) return null;
  return `${head}${user}:${hit(ctx, 'cli_password')}`;
}

/** A password in prose or after a label must look like one: no plain word, reference or path. */
function looksLikePassword(v: string, labelled: boolean): boolean {
  if (v.length < (labelled ? 4 : 6) || v.length > 200 || isPlaceholderValue(v)) return false;
  if (/^(?:https?:)?\/\//.test(v) || v.includes('/') || v.includes('\\')) return false;
  // References and calls: `process.env.DB_PASSWORD`, `config.password`, `getPassword()`.
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(v) || /\(.*\)$/.test(v)) return false;
  if (/^[A-Z][A-Z0-9_]+$/.test(v) && v.includes('_')) return false;
  if (labelled) return !/^[a-z]+$/.test(v) || v.length >= 8;
  // Prose: a word is a word; a password has a digit or a symbol.
  return /[0-9!@#$%^&*+=?~]/.test(v) && /[A-Za-z]/.test(v);
}

function decideProsePassword(_m: string, g: (string | undefined)[], ctx: Ctx): string | null {
  const [head = '', quote = '', raw = ''] = g;
  // Trailing sentence punctuation belongs to the prose.
  const value = raw.replace(/[.,;:)\]]+$/, '');
  const labelled = /[\u4e00-\u9fff]/.test(head);
  if (!looksLikePassword(value, labelled)) return null;
  return `${head}${quote}${hit(ctx, 'prose_password')}${raw.slice(value.length)}`;
}

/** Cookie attributes: the rest of a Set-Cookie line's pairs are credentials. */
const COOKIE_ATTRIBUTES = new Set([
  'path',
  'domain',
  'expires',
  'max-age',
  'samesite',
  'secure',
  'httponly',
  'priority',
  'partitioned',
  'version',
  'comment',
]);

function decideCookie(_m: string, g: (string | undefined)[], ctx: Ctx): string | null {
  const [head = '', pairs = ''] = g;
  let changed = false;
  const out = pairs.replace(
    /(^|[;\s][ \t]*)([^=;\s:]{1,200})=([^;\s]*)/g,
    (all, sep: string, name: string, value: string) => {
      const v = value.trim().replace(/^"(.*)"$/, '$1');
      if (COOKIE_ATTRIBUTES.has(name.toLowerCase()) || v.length < 8 || isPlaceholderValue(v)) return all;
      if (!/[0-9]/.test(v) && meanWordLength(v) >= 4) return all;
      changed = true;
      return `${sep}${name}=${hit(ctx, 'cookie')}`;
    },
  );
  return changed ? `${head}${out}` : null;
}

/** The user part of a URL that is a key on its own (Sentry DSN, `https://<token>@host`). */
function decideUrlUser(_m: string, g: (string | undefined)[], ctx: Ctx): string | null {
  const [head = '', user = ''] = g;
  const hex = /^[0-9a-f]{32,}$/.test(user);
  if (!hex && !looksRandomToken(user)) return null;
  return `${head}${hit(ctx, 'url_password')}@`;
}

// ---------------------------------------------------------------------------------------------
// Public material: never redacted, and shielded from every rule, so a certificate
// body or a data URI is not mistaken for a random secret.
// ---------------------------------------------------------------------------------------------

const SHIELD_OPEN = '\uE000';
const SHIELD_CLOSE = '\uE001';

const PUBLIC_SPAN_RE = new RegExp(
  [
    // data: URIs (images, fonts) with a base64 payload.
    String.raw`data:[\w.+-]{1,60}\/[\w.+-]{1,80}(?:;[\w.+-]{1,40}=[\w.+-]{1,80}){0,4};base64,[A-Za-z0-9+/]+={0,2}`,
    // go.sum hashes and subresource-integrity digests.
    String.raw`(?<![\w-])h1:[A-Za-z0-9+/]{43}=`,
    String.raw`(?<![\w-])sha(?:256|384|512)-[A-Za-z0-9+/]{43,86}={0,2}`,
    // OpenSSH public keys.
    String.raw`(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)[ \t]+AAAA[A-Za-z0-9+/]{8,}={0,3}`,
    // Public PEM blocks: certificates, public keys, signatures.
    String.raw`-----BEGIN (CERTIFICATE|TRUSTED CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY|X509 CRL|CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST|PGP PUBLIC KEY BLOCK|PGP SIGNATURE|SSH2 PUBLIC KEY)-----(?:[^-]|-(?!----)){0,65536}?-----END \1-----`,
    // IPFS content ids (CIDv0 base58, CIDv1 base32).
    String.raw`(?<![\w-])(?:Qm[1-9A-HJ-NP-Za-km-z]{44}|baf[ky][a-z2-7]{50,})(?![\w-])`,
    // ULIDs.
    String.raw`(?<![\w-])[0-7][0-9A-HJKMNP-TV-Z]{25}(?![\w-])`,
  ].join('|'),
  'g',
);

/** Literals (and the ULID shape) one of which every public span holds: most texts skip the shield. */
const PUBLIC_GATE_RE =
  /data:|h1:|sha(?:256|384|512)-|ssh-|ecdsa-|-----BEGIN|Qm|baf[ky]|[0-7][0-9A-HJKMNP-TV-Z]{25}/;

/** Replaces public spans by `\uE000<n>\uE001`; `restore` puts them back. */
function shieldPublic(text: string): { text: string; restore: (s: string) => string } {
  if (text.includes(SHIELD_OPEN) || text.includes(SHIELD_CLOSE) || !PUBLIC_GATE_RE.test(text))
    return { text, restore: (s) => s };
  const kept: string[] = [];
  const shielded = text.replace(PUBLIC_SPAN_RE, (m) => {
    kept.push(m);
    return `${SHIELD_OPEN}${kept.length - 1}${SHIELD_CLOSE}`;
  });
  if (kept.length === 0) return { text, restore: (s) => s };
  return {
    text: shielded,
    restore: (s) => s.replace(/\uE000(\d+)\uE001/g, (m, n: string) => kept[Number(n)] ?? m),
  };
}

/** A line that may be one piece of a wrapped token (`fold -w N`, `base64` output). */
const FOLD_LINE_RE = /^[A-Za-z0-9+/=_.~-]{12,}$/;

/**
 * Re-joins tokens split across lines of equal width (`fold`, wrapped terminal output) and redacts
 * the joined token when it is a secret: each piece alone is too short for any rule. Linear: every
 * line is in at most one run, and each run is checked once.
 */
function rejoinFolded(text: string, ctx: Ctx): string {
  // Real line breaks, and the `\n` escapes of JSON text (a piece never holds a backslash).
  let out = text.includes('\n') ? rejoinFoldedBy(text, '\n', ctx) : text;
  if (out.includes('\\n')) out = rejoinFoldedBy(out, '\\n', ctx);
  return out;
}

function rejoinFoldedBy(text: string, eol: string, ctx: Ctx): string {
  const lines = text.split(eol);
  let changed = false;
  let i = 0;
  while (i < lines.length) {
    // The first piece may follow a prefix on its line (`"` of a JSON string, a prompt).
    const line = lines[i] as string;
    // Bounded look at the end of the line: a regex anchored at `$` would retry from every start.
    const head = FOLD_TAIL_RE.exec(line.length > 201 ? line.slice(-201) : line);
    const first = head?.[0] ?? '';
    const width = first.length;
    if (width < 12 || width > 200) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < lines.length && (lines[j] as string).length === width && FOLD_LINE_RE.test(lines[j] as string))
      j++;
    // A shorter last piece ends the run; what follows it on its line (`"`, `,`) stays.
    let tail = '';
    let lastPiece = '';
    if (j < lines.length) {
      const last = lines[j] as string;
      const piece = FOLD_HEAD_RE.exec(last)?.[0] ?? '';
      if (piece.length > 0 && piece.length <= width) {
        lastPiece = piece;
        tail = last.slice(piece.length);
        j++;
      }
    }
    // PEM bodies are the PEM rule's (a private key keeps its kind; public blocks are shielded).
    const before = lines.slice(Math.max(0, i - 4), i + 1).join(eol);
    if (j - i >= 2 && !/-----BEGIN|Proc-Type:|DEK-Info:/.test(before)) {
      const middle = lines.slice(i + 1, lastPiece === '' ? j : j - 1);
      const pieces = [first, ...middle, ...(lastPiece === '' ? [] : [lastPiece])];
      const joined = pieces.join('');
      const scratch: Ctx = { counts: {}, depth: 0 };
      const redacted = applyRules(joined, scratch);
      // Only a secret no piece holds alone: lines that are each a secret (or that each hold
      // the end of one) are for the rules, and stay lines.
      const wrapped = middle.length > 0 || (first === line && tail === '');
      if (
        redacted !== joined &&
        wrapped &&
        pieces.every((piece) => applyRules(piece, { counts: {}, depth: 0 }) === piece)
      ) {
        for (const [k, n] of Object.entries(scratch.counts)) ctx.counts[k] = (ctx.counts[k] ?? 0) + n;
        const prefix = (lines[i] as string).slice(0, (lines[i] as string).length - width);
        lines.splice(i, j - i, `${prefix}${redacted}${tail}`);
        changed = true;
        i++;
        continue;
      }
    }
    i = Math.max(j - (lastPiece === '' ? 0 : 1), i + 1);
  }
  return changed ? lines.join(eol) : text;
}

/** The token characters that end a line (the first piece of a wrapped token). */
const FOLD_TAIL_RE = /[A-Za-z0-9+/=_.~-]{12,}$/;
/** The token characters that start a line (the last piece of a wrapped token). */
const FOLD_HEAD_RE = /^[A-Za-z0-9+/=_.~-]+/;

/** The ordered rules. */
const RULES: readonly Rule[] = [
  {
    kind: 'private_key',
    re: rx(`${PEM_HEAD}(?:${PEM_COMPLETE}|${PEM_TRUNCATED})`),
    decide: whole('private_key'),
  },
  {
    kind: 'jwt',
    re: rx(bounded(W, 'eyJ') + String.raw`[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*`),
    decide: whole('jwt'),
  },
  {
    kind: 'anthropic_key',
    re: rx(bounded(W, 'sk-ant-') + String.raw`[\w-]{20,}`),
    decide: whole('anthropic_key'),
  },
  {
    kind: 'openai_key',
    re: rx(
      bounded(W, 'sk-') +
        String.raw`(?:(?:proj|svcacct|admin|None)-[\w-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20,})`,
    ),
    decide: whole('openai_key'),
  },
  {
    kind: 'github_token',
    re: rx(bounded('A-Za-z0-9_', 'gh[pousr]_') + String.raw`[A-Za-z0-9]{36,}`),
    decide: whole('github_token'),
  },
  {
    kind: 'github_token',
    re: rx(bounded('A-Za-z0-9_', 'github_pat_') + String.raw`[A-Za-z0-9_]{22,}`),
    decide: whole('github_token'),
  },
  {
    kind: 'gitlab_token',
    re: rx(bounded(W, 'gl(?:pat|dt|rt|ptt|cbt|oas)-') + String.raw`[\w-]{20,}`),
    decide: whole('gitlab_token'),
  },
  {
    kind: 'slack_webhook',
    // Keep the host so the memory still says "a Slack webhook"; the path is the credential.
    re: /(https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9_/-]{16,}/g,
    decide: (_m, g, ctx) => `${g[0] ?? ''}${hit(ctx, 'slack_webhook')}`,
  },
  {
    kind: 'slack_token',
    re: rx(bounded(W, '(?:xox[abposre]|xapp)-') + String.raw`[A-Za-z0-9-]{10,}`),
    decide: whole('slack_token'),
  },
  {
    kind: 'google_api_key',
    re: rx(bounded(W, 'AIza') + String.raw`[\w-]{35}`),
    decide: whole('google_api_key'),
  },
  {
    kind: 'google_oauth_secret',
    re: rx(bounded(W, 'GOCSPX-') + String.raw`[\w-]{20,}`),
    decide: whole('google_oauth_secret'),
  },
  {
    kind: 'google_oauth_token',
    re: rx(bounded(String.raw`\w.-`, String.raw`ya29\.`) + String.raw`[\w-]{20,}`),
    decide: whole('google_oauth_token'),
  },
  {
    kind: 'stripe_key',
    re: rx(bounded(W, '(?:sk_live_|sk_test_|rk_live_|rk_test_|whsec_)') + String.raw`[A-Za-z0-9]{16,}`),
    decide: whole('stripe_key'),
  },
  {
    kind: 'npm_token',
    re: rx(bounded(W, 'npm_') + String.raw`[A-Za-z0-9]{36,}`),
    decide: whole('npm_token'),
  },
  { kind: 'hf_token', re: rx(bounded(W, 'hf_') + String.raw`[A-Za-z0-9]{30,}`), decide: whole('hf_token') },
  {
    kind: 'twilio_key',
    re: rx(bounded('A-Za-z0-9_', 'SK') + String.raw`[0-9a-fA-F]{32}(?![A-Za-z0-9_])`),
    decide: whole('twilio_key'),
  },
  {
    kind: 'sendgrid_key',
    re: rx(bounded(W, String.raw`SG\.`) + String.raw`[\w-]{16,32}\.[\w-]{30,50}`),
    decide: whole('sendgrid_key'),
  },
  {
    kind: 'discord_token',
    re: rx(bounded(W, '[MNO]') + String.raw`[A-Za-z0-9_-]{23,27}\.[\w-]{6}\.[\w-]{27,40}(?![\w-])`),
    decide: whole('discord_token'),
  },
  { kind: 'heroku_key', re: rx(bounded(W, 'HRKU-') + String.raw`[\w-]{20,}`), decide: whole('heroku_key') },
  {
    kind: 'vendor_token',
    re: rx(after(String.raw`\w.-`) + `(${VENDOR_PREFIXES})` + String.raw`([\w.+/=-]{12,400})`),
    gate: new RegExp(VENDOR_PREFIXES),
    decide: decideVendor,
  },
  // Telegram bot tokens: `<bot id>:AA<33>`.
  {
    kind: 'vendor_token',
    re: rx(after(String.raw`\w:`) + String.raw`\d{8,10}:AA[\w-]{33}(?![\w-])`),
    decide: whole('vendor_token'),
    gate: /:AA/,
  },
  {
    // Discord-style token with no prefix: only its first part (base64 of a numeric id) says so.
    kind: 'discord_token',
    re: rx(after(String.raw`\w.-`) + String.raw`([A-Za-z0-9_-]{23,28})\.[\w-]{6,7}\.[\w-]{27,40}(?![\w.-])`),
    gate: /\.[\w-]{6,7}\.[\w-]{27}/,
    decide: decideDiscord,
  },
  {
    kind: 'aws_access_key',
    re: rx(
      bounded('A-Za-z0-9', '(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)') +
        String.raw`[A-Z0-9]{16}(?![A-Za-z0-9])`,
    ),
    decide: whole('aws_access_key'),
  },
  {
    // DeepSeek, Moonshot/Kimi, OpenRouter and other OpenAI-compatible providers.
    kind: 'generic_sk_key',
    re: rx(bounded(W, 'sk-') + String.raw`(?:[A-Za-z0-9]{1,12}-){0,3}[A-Za-z0-9_]{20,}`),
    decide: whole('generic_sk_key'),
  },
  {
    kind: 'aws_secret_key',
    re: rx(
      `(${bounded(String.raw`\w`, '(?:(?:aws_?)?secret_?access_?key|aws_?secret_?key)')})` +
        String.raw`(${Q}[ \t]*[:=][ \t]*${Q})([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
      'gi',
    ),
    decide: (_m, g, ctx) => `${g[0] ?? ''}${g[1] ?? ''}${hit(ctx, 'aws_secret_key')}`,
  },
  {
    // `Authorization: Bearer|Basic|Token <credential>` in headers, curl -H, JSON, Python dicts.
    kind: 'bearer_token',
    re: rx(
      `(${bounded(W, '(?:proxy-)?authorization')}` +
        String.raw`${Q}[ \t]*[:=][ \t]*${Q}[ \t]*)(?:(bearer|token|basic)[ \t]+)?(${CRED})`,
      'gi',
    ),
    decide: (_m, g, ctx) => {
      const [prefix = '', scheme, cred = ''] = g;
      // The scheme word alone (`Bearer $TOKEN`, `"Bearer " + token`) is not a credential.
      if (/^(?:bearer|token|basic|digest|negotiate)$/i.test(cred) || cred.length < 8) return null;
      if (scheme !== undefined && /^basic$/i.test(scheme)) {
        return `${prefix}${scheme} ${hit(ctx, 'basic_auth')}`;
      }
      // Prose such as "authorization: required" is not a credential.
      if (!/[0-9+/=._~-]/.test(cred) && cred.length < 20) return null;
      return `${prefix}${scheme === undefined ? '' : `${scheme} `}${hit(ctx, 'bearer_token')}`;
    },
  },
  {
    // A bare "Bearer <token>" outside a header (logs, prose); the token must look like one.
    kind: 'bearer_token',
    re: rx(`(${bounded(W, '[Bb]earer')}` + String.raw`[ \t]+)([A-Za-z0-9._~+/-]{16,}=*)`),
    decide: (_m, g, ctx) => {
      const token = g[1] ?? '';
      if (!/[0-9]/.test(token) || !/[A-Za-z]/.test(token) || meanWordLength(token) >= 4) return null;
      return `${g[0] ?? ''}${hit(ctx, 'bearer_token')}`;
    },
  },
  {
    // scheme://user:password@host: keep scheme, user and host. The password may contain '@'
    // (greedy, then back to the last '@' of the authority) but not '/', whitespace or quotes.
    kind: 'url_password',
    // Starts at "://" (a literal V8 can search for); whatever scheme precedes it stays.
    re: rx(String.raw`(:\/\/[^\s:/?#@[\]"'<>\x60\\]*:)((?:[^\s/?#"'<>\x60\\]|\\(?![nrt"]))+)@`),
    decide: (_m, g, ctx) => {
      const password = g[1] ?? '';
      if (isPlaceholderValue(password) || PLACEHOLDER_PASSWORDS.has(password.toLowerCase())) return null;
      return `${g[0] ?? ''}${hit(ctx, 'url_password')}@`;
    },
  },
  {
    // `https://<key>@o1.ingest.sentry.io/2`: a user part that is a key on its own.
    kind: 'url_password',
    re: rx(String.raw`(:\/\/)([A-Za-z0-9_-]{20,200})@`),
    decide: decideUrlUser,
  },
  {
    // user:pass@host without a scheme (`mysql://` is above): `admin:S3cret@db.internal:5432`.
    kind: 'url_password',
    gate: /:[^\s:@]{1,128}@/,
    re: rx(
      after(String.raw`\w.:/@%+[\]-`) +
        String.raw`([A-Za-z0-9._%+-]{1,64}:)([^\s:/@"'\x60\\]{1,128})@(?=[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)+|localhost|\d{1,3}(?:\.\d{1,3}){3})`,
    ),
    decide: (_m, g, ctx) => {
      const password = g[1] ?? '';
      if (isPlaceholderValue(password) || PLACEHOLDER_PASSWORDS.has(password.toLowerCase())) return null;
      return `${g[0] ?? ''}${hit(ctx, 'url_password')}@`;
    },
  },
  {
    kind: 'cli_password',
    re: PASSWORD_COMMAND_RE,
    gate: /mysql|mariadb|sshpass|mongo|redis-cli|sqlcmd|bcp|login/,
    decide: () => null,
    apply: redactPasswordCommands,
  },
  {
    kind: 'cli_password',
    re: rx(
      after(String.raw`\w-`) +
        String.raw`((?:-u|-U|--user|--proxy-user|--auth|--http-user)(?:[ \t]+|=)${Q})([^\s:'"\\[\]]{1,128}):([^\s'"\\]{1,512})`,
    ),
    gate: /-u|-U|--user|--auth|--http-user|--proxy-user/,
    decide: decideUserPass,
  },
  {
    // .pgpass: host:port:database:user:password, one per line.
    kind: 'config_password',
    gate: /:(?:\d{1,5}|\*):/,
    re: rx(
      String.raw`(?:^|(?<=\\n))([A-Za-z0-9*._-]{1,253}:(?:\d{1,5}|\*):[^:\s\\]{1,128}:[^:\s\\]{1,128}:)([^\s\\"']{4,512})(?=\r?$|\\[nr]|["'])`,
      'gm',
    ),
    decide: (_m, g, ctx) =>
      isPlaceholderValue(g[1] ?? '') ? null : `${g[0] ?? ''}${hit(ctx, 'config_password')}`,
  },
  {
    // .netrc: machine h login u [account a] password p, on one line or several.
    kind: 'config_password',
    gate: /login/,
    re: rx(
      after(String.raw`\w-`) +
        String.raw`(login[ \t]+[^\s\\]{1,200}(?:[ \t]+|\r?\n[ \t]*|\\n[ \t]*)(?:account[ \t]+[^\s\\]{1,200}(?:[ \t]+|\r?\n[ \t]*|\\n[ \t]*))?password[ \t]+)([^\s\\"']{1,512})`,
    ),
    decide: (_m, g, ctx) =>
      isPlaceholderValue(g[1] ?? '') ? null : `${g[0] ?? ''}${hit(ctx, 'config_password')}`,
  },
  {
    kind: 'cookie',
    gate: /cookie/i,
    re: rx(
      after(String.raw`\w-`) +
        `((?:set-)?cookie${Q}[ \t]*:[ \t]*${Q}|--cookie(?:[ \t]+|=)${Q})` +
        String.raw`((?:[^\r\n'"\\]|\\(?![nrt"])){1,4096})(?=[\s;'"\\]|$)`,
      'gi',
    ),
    decide: decideCookie,
  },
  {
    // Signed URLs: Azure SAS `sig=`, S3/GCS/OSS presigned signatures and session tokens.
    kind: 'signed_url',
    re: rx(
      String.raw`([?&](?:sig|signature|x-amz-signature|x-amz-security-token|x-goog-signature|x-oss-signature|security_?token)=)([^&\s"'#\\<>]{16,2048})`,
      'gi',
    ),
    decide: (_m, g, ctx) =>
      isPlaceholderValue(g[1] ?? '') ? null : `${g[0] ?? ''}${hit(ctx, 'signed_url')}`,
  },
  {
    kind: 'env_assignment',
    re: rx(ASSIGNMENT_SOURCE),
    decide: decideAssignment,
  },
  {
    // "the staging admin password is X", "password for deploy: X", netrc `password X`.
    kind: 'prose_password',
    gate: /pass(?:word|wd|phrase|code)|pwd/i,
    re: rx(
      after(String.raw`\w-`) +
        String.raw`((?:password|passwd|passphrase|passcode|pwd)(?![\w-])(?:[ \t]+(?:for|of|on)[ \t]+[^\s]{1,80})?` +
        String.raw`(?:[ \t]+(?:is|was|now|to|becomes|remains|changed|set|reset|still)){0,3}(?:[ \t]*[:=][ \t]*|[ \t]+))` +
        String.raw`(['"\x60\u201c]?)([^\s'"\x60\u201d\\]{4,200})`,
      'gi',
    ),
    decide: decideProsePassword,
  },
  {
    // Chinese labels: 密码: X, 密码：X, 令牌 X, 访问密钥是 X.
    kind: 'prose_password',
    gate: /密码|口令|令牌|密钥|秘钥|密匙/,
    re: rx(
      String.raw`((?:访问密钥|密码|口令|令牌|密钥|秘钥|密匙)(?:[ \t]*(?:[:：=]|是|为|為)[ \t]*|[ \t]+))` +
        String.raw`(['"\x60\u201c\u300c]?)([\x21\x23-\x26\x28-\x5b\x5d-\x5f\x61-\x7e]{4,200})`,
    ),
    decide: decideProsePassword,
  },
  {
    kind: 'high_entropy',
    // Not after '.': the rest of a host name or file name (`docs.example.com/a/b`) is a path.
    re: rx(after(String.raw`A-Za-z0-9+/=_.-`) + String.raw`[A-Za-z0-9+/_-]{32,}={0,2}`),
    decide: (m, _g, ctx) => (looksRandomToken(m) ? hit(ctx, 'high_entropy') : null),
  },
];

/**
 * The env_assignment decision: the name must look secret and the value must not be a reference,
 * a placeholder or code. A rejected match's value is searched again (bounded depth) because the
 * regex consumed it: `FOO=a,password=b` must still lose `b`.
 */
function decideAssignment(match: string, g: (string | undefined)[], ctx: Ctx): string | null {
  const [
    envName,
    envValue,
    ,
    name,
    sep,
    dq,
    sq,
    escapes,
    eq,
    bare,
    next,
    flagName,
    flagDq,
    flagSq,
    flagBare,
  ] = g;
  let value: string;
  let close: string;
  let accept: boolean;
  if (envName !== undefined && envValue !== undefined) {
    value = envValue;
    close = '';
    accept = isSecretNameQuick(envName) && !isPlaceholderValue(value);
  } else if (name !== undefined && sep !== undefined) {
    value = dq ?? sq ?? eq ?? bare ?? '';
    close = dq !== undefined ? '"' : sq !== undefined ? "'" : eq !== undefined ? `${escapes ?? ''}"` : '';
    accept =
      (isSecretNameQuick(name) || isAuthBlob(name, value)) &&
      !isPlaceholderValue(value) &&
      (bare === undefined || !isCodeValue(value, followedByCode(next, sep)));
  } else if (flagName !== undefined) {
    value = flagDq ?? flagSq ?? flagBare ?? '';
    close = flagDq !== undefined ? '"' : flagSq !== undefined ? "'" : '';
    accept = isSecretNameQuick(flagName) && !isPlaceholderValue(value);
  } else {
    return null;
  }
  const head = match.slice(0, match.length - value.length - close.length);
  if (accept) return `${head}${hit(ctx, 'env_assignment')}${close}`;
  // Only a value holding a separator can hide a nested assignment.
  if (ctx.depth >= MAX_DEPTH || !/[=:]/.test(value)) return null;
  const nested = redactAssignments(value, { counts: ctx.counts, depth: ctx.depth + 1 });
  return nested === value ? null : `${head}${nested}${close}`;
}

function redactAssignments(text: string, ctx: Ctx): string {
  const re = ASSIGNMENT_RES[ctx.depth] as RegExp;
  return text.replace(re, (...args: unknown[]) => {
    const match = args[0] as string;
    return decideAssignment(match, captureGroups(args), ctx) ?? match;
  });
}

/**
 * `.npmrc` `_auth=` and docker `config.json` `"auth":` hold base64 of `user:password` under a name
 * that is no secret elsewhere (`auth: true`, `auth: "basic"`): the value decides.
 */
function isAuthBlob(name: string, value: string): boolean {
  if (!/^(?:_auth|auth|_password|identitytoken)$/i.test(name.slice(name.lastIndexOf(':') + 1))) return false;
  if (!/^[A-Za-z0-9+/_-]{8,}={0,2}$/.test(value)) return false;
  const decoded = Buffer.from(value, 'base64').toString('latin1');
  if (/^[\x20-\x7e]+:[\x20-\x7e]+$/.test(decoded)) return true;
  return looksRandomToken(value) || (value.length >= 16 && /[0-9]/.test(value) && /[A-Za-z]/.test(value));
}

function isSecretNameQuick(name: string): boolean {
  return SECRET_NAME_HINT_RE.test(name) && isSecretName(name);
}

/**
 * True when the character after a bare value makes it code: a call `(`, an index `[`, or a
 * statement-ending `;` after a spaced `=` (`token = next;`). `Password=x;` without spaces is a
 * connection-string field.
 */
function followedByCode(next: string | undefined, sep: string): boolean {
  if (next === '(' || next === '[') return true;
  return next === ';' && /\s/.test(sep);
}

/**
 * An unquoted value that is code: a call, an index, a statement end, a type, a member access,
 * a camelCase variable or another secret's name.
 */
function isCodeValue(value: string, followedByCode: boolean): boolean {
  if (followedByCode) return true;
  if (/^[a-z_$][\w$]*[a-z][A-Z][\w$]*$/.test(value) && !/[0-9]/.test(value)) return true;
  // Minified code (`lastKey:o`), small numbers, and PascalCase type names (`password: BinaryLike`).
  if (value.length < 3 || /^(?:-?\d{1,6}(?:\.\d+)?|0x[0-9a-fA-F]{1,8})$/.test(value)) return true;
  // Letters only: `MyPassw0rd` or `SummerWinter2024` are passwords, not type names.
  if (/^[A-Z][a-z]+(?:[A-Z][a-z]*)+$/.test(value)) return true;
  if (NON_SECRET_VALUES.has(value.toLowerCase())) return true;
  if (/^[A-Za-z_$][\w$]*$/.test(value) && isSecretName(value)) return true;
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(value) && !/[0-9]/.test(value)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Replaces every secret in `text` by `[REDACTED:<kind>]` and counts the replacements per kind.
 * Linear in the input length, idempotent (`redactText(redactText(t).text).text` equals
 * `redactText(t).text`), and conservative about non-secrets (commit SHAs, UUIDs, paths).
 */
export function redactText(text: string): RedactionResult {
  const ctx: Ctx = { counts: {}, depth: 0 };
  // Public material first (certificates, public keys, data URIs, content hashes), then tokens
  // wrapped across lines, then every rule.
  const shield = shieldPublic(text);
  const out = applyRules(rejoinFolded(shield.text, ctx), ctx);
  return { text: shield.restore(out), counts: ctx.counts };
}

function applyRules(text: string, ctx: Ctx): string {
  let out = text;
  for (const rule of RULES) {
    if (rule.gate && !rule.gate.test(out)) continue;
    if (rule.apply) {
      out = rule.apply(out, ctx);
      continue;
    }
    out = out.replace(rule.re, (...args: unknown[]) => {
      const match = args[0] as string;
      return rule.decide(match, captureGroups(args), ctx) ?? match;
    });
  }
  return out;
}

/** True when `text` holds at least one secret {@link redactText} would replace. */
export function containsSecret(text: string): boolean {
  // Same outcome as comparing redactText's output with its input, without building the output:
  // while no rule has fired, every rule sees the original text.
  const ctx: Ctx = { counts: {}, depth: 0 };
  const shielded = shieldPublic(text).text;
  if (rejoinFolded(shielded, ctx) !== shielded) return true;
  text = shielded;
  for (const rule of RULES) {
    if (rule.gate && !rule.gate.test(text)) continue;
    if (rule.apply) {
      rule.apply(text, ctx);
      if (Object.keys(ctx.counts).length > 0) return true;
      continue;
    }
    const re = rule.re;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      // A decision may run containsSecret again (base64 of text is decoded and checked), which
      // reuses these regexes: keep our position.
      const resume = re.lastIndex;
      rule.decide(m[0], m.slice(1), ctx);
      re.lastIndex = resume;
      if (Object.keys(ctx.counts).length > 0) {
        re.lastIndex = 0;
        return true;
      }
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  return false;
}

/**
 * Returns a copy of a JSON-like value (plain objects, arrays, primitives) with every string
 * redacted, object values included and object keys kept as they are. Other objects (Date, Map,
 * Buffer...) are returned as is; cycles are preserved. When `counts` is given, replacements are
 * added to it per kind.
 */
export function redactDeep<T>(value: T, counts?: Record<string, number>): T {
  return deep(value, new WeakMap<object, unknown>(), counts) as T;
}

function deep(
  value: unknown,
  seen: WeakMap<object, unknown>,
  counts: Record<string, number> | undefined,
): unknown {
  if (typeof value === 'string') {
    const r = redactText(value);
    if (counts) for (const [k, n] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + n;
    return r.text;
  }
  if (value === null || typeof value !== 'object') return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(deep(item, seen, counts));
    return copy;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [k, v] of Object.entries(value)) {
    // defineProperty, so an own "__proto__" key (JSON.parse makes them) stays a plain key.
    Object.defineProperty(copy, k, {
      value: deep(v, seen, counts),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

/** The capture groups of a `String.prototype.replace` callback's arguments. */
function captureGroups(args: unknown[]): (string | undefined)[] {
  // args = [match, g1..gn, offset, input] (our regexes have no named groups).
  return args.slice(1, -2) as (string | undefined)[];
}
