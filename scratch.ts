import { reviewLocally } from './src/core/review/local/review.js';
import { parseRollout } from './src/core/agents/codex/rollout.js';
import { rolloutText } from './test/fixtures/rollouts/rollout-builder.js';
for (const u of process.argv.slice(2)) {
  const t = parseRollout(rolloutText({ turns: [{ user: u, steps: [{say:'ok'}] }] }));
  const o = reviewLocally(t);
  console.log('>>', u.slice(0,80)); for (const i of [...o.memory_updates, ...o.recall_candidate]) console.log('   ', i.summary, '|', String(i.details.content));
}
