/**
 * The English and Chinese docs must show the same commands, in the same order, so a translation
 * cannot silently fall behind its original. Prose is free to differ; code blocks are not.
 *
 * How a pair is compared (the rules the docs are written to):
 * - Every fenced block (``` or ~~~, at any indentation) is taken in order, with its info string.
 *   Both files must have the same number of blocks, with the same info strings, in the same order.
 * - Command blocks (`bash`, `sh`, `shell`, `zsh`, `console`) hold commands only, never output.
 *   Each line loses its `#` comment (a `#` at the start of the line or after whitespace, outside
 *   quotes: comments may be translated), a leading `$ ` prompt and trailing whitespace; blank
 *   lines are dropped. What is left must be identical, line for line.
 * - Configuration blocks (`toml`, `ini`, `dotenv`, `json`, `jsonc`) are compared the same way:
 *   keys and values are never translated, their comments may be.
 * - Shown output and diagrams (`text`, or no info string) are what the user should see, shortened;
 *   their lines are not compared (the Chinese side may translate a diagram's labels), only their
 *   presence and position.
 *
 * - Tables: the inline code of each row's first cell (the commands of the README's command table,
 *   the reviewer names) must be the same, in the same order, so a row added on one side fails.
 *
 * Every relative link of these files must point at a file of the repository, and each file of a
 * pair must link to the other.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** English file → its Chinese translation (repository-relative). */
const PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['README.md', 'README.zh-CN.md'],
  ['docs/getting-started.md', 'docs/getting-started.zh-CN.md'],
];

const COMMAND_LANGS = new Set(['bash', 'sh', 'shell', 'zsh', 'console']);
const CONFIG_LANGS = new Set(['toml', 'ini', 'dotenv', 'json', 'jsonc']);

interface Block {
  /** The info string's first word, lower case ('' when none). */
  lang: string;
  /** 1-based line of the opening fence, for messages. */
  line: number;
  body: string[];
}

/** The fenced code blocks of a Markdown text, in order. */
export function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split(/\r?\n/);
  let open: { fence: string; indent: number; block: Block } | undefined;
  lines.forEach((raw, index) => {
    if (open === undefined) {
      const start = /^( *)(`{3,}|~{3,})\s*([^\s`]*)/.exec(raw);
      if (start) {
        const block: Block = { lang: (start[3] ?? '').toLowerCase(), line: index + 1, body: [] };
        open = { fence: start[2] ?? '', indent: (start[1] ?? '').length, block };
      }
      return;
    }
    const close = /^ *(`{3,}|~{3,})\s*$/.exec(raw);
    if (close && close[1]?.[0] === open.fence[0] && (close[1]?.length ?? 0) >= open.fence.length) {
      blocks.push(open.block);
      open = undefined;
      return;
    }
    const indent = open.indent;
    open.block.body.push(raw.slice(Math.min(indent, raw.length - raw.trimStart().length)));
  });
  if (open !== undefined) throw new Error(`unclosed code fence at line ${open.block.line}`);
  return blocks;
}

/** A line without its shell/TOML comment: a `#` at the start or after whitespace, outside quotes. */
export function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i];
    if (quote !== undefined) {
      if (ch === '\\' && quote === '"') i += 1;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** What of a block must agree between the two languages. */
export function comparable(block: Block): string[] {
  if (!COMMAND_LANGS.has(block.lang) && !CONFIG_LANGS.has(block.lang)) return [];
  return block.body
    .map((line) =>
      stripComment(line)
        .replace(/^\s*\$ /, '')
        .trimEnd(),
    )
    .filter((line) => line.trim() !== '');
}

/** Every difference between the code blocks of an English text and its translation ([] = none). */
export function codeDrift(english: string, chinese: string): string[] {
  const en = fencedBlocks(english);
  const zh = fencedBlocks(chinese);
  const problems: string[] = [];
  if (en.length !== zh.length) problems.push(`${en.length} code blocks in English, ${zh.length} in Chinese`);
  for (let i = 0; i < Math.min(en.length, zh.length); i += 1) {
    const a = en[i] as Block;
    const b = zh[i] as Block;
    const where = `block ${i + 1} (English line ${a.line}, Chinese line ${b.line})`;
    if (a.lang !== b.lang) {
      problems.push(`${where}: info string "${a.lang}" vs "${b.lang}"`);
      continue;
    }
    const left = comparable(a);
    const right = comparable(b);
    const length = Math.max(left.length, right.length);
    for (let j = 0; j < length; j += 1) {
      if (left[j] !== right[j]) {
        const shown = (value: string | undefined): string => JSON.stringify(value ?? null);
        problems.push(`${where}, line ${j + 1}: ${shown(left[j])} vs ${shown(right[j])}`);
        break;
      }
    }
  }
  return problems;
}

/** The inline code spans of the first cell of every table row, in order (header rows have none). */
export function tableKeys(markdown: string): string[] {
  const prose = markdown.replace(/^ *(`{3,}|~{3,})[\s\S]*?^ *\1\s*$/gm, '');
  const keys: string[] = [];
  for (const line of prose.split(/\r?\n/)) {
    const row = /^\s*\|((?:[^|`]|`[^`]*`)*)\|/.exec(line);
    if (!row) continue;
    for (const code of (row[1] ?? '').matchAll(/`([^`]+)`/g)) keys.push(code[1] ?? '');
  }
  return keys;
}

/** Relative link targets of a Markdown text (no URLs, no in-page anchors), without their anchors. */
export function relativeLinks(markdown: string): string[] {
  // Code is not a link: drop fenced blocks and inline code first.
  const prose = markdown.replace(/^ *(`{3,}|~{3,})[\s\S]*?^ *\1\s*$/gm, '').replace(/`[^`\n]*`/g, '');
  const targets: string[] = [];
  for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1] ?? '';
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    targets.push(decodeURIComponent(target.split('#')[0] ?? ''));
  }
  return targets;
}

function read(relative: string): string {
  return readFileSync(join(ROOT, relative), 'utf8');
}

describe('English and Chinese docs show the same commands', () => {
  for (const [english, chinese] of PAIRS) {
    it(`${chinese} has the code blocks of ${english}`, () => {
      expect(codeDrift(read(english), read(chinese))).toEqual([]);
      expect(fencedBlocks(read(english)).length).toBeGreaterThan(0);
    });

    it(`${chinese} has the table rows of ${english}`, () => {
      expect(tableKeys(read(chinese))).toEqual(tableKeys(read(english)));
    });
  }

  const en = [
    '# Title',
    '',
    '```bash',
    'npx codex-self-evolution install --trust   # trust the hooks',
    'codex-self-evolution status',
    '```',
    '',
    '```text',
    'Hooks:       3/3 installed, 3/3 trusted',
    '```',
    '',
    '```toml',
    '[review]',
    'max_per_day = 50   # a day',
    '```',
  ].join('\n');
  const zh = [
    '# 标题',
    '',
    '```bash',
    'npx codex-self-evolution install --trust   # 信任钩子',
    '$ codex-self-evolution status',
    '```',
    '',
    '```text',
    '钩子：3/3 已安装',
    '```',
    '',
    '```toml',
    '[review]',
    '# 每天最多',
    'max_per_day = 50',
    '```',
  ].join('\n');

  it('accepts translated comments and prose, a prompt sign and translated output', () => {
    expect(codeDrift(en, zh)).toEqual([]);
  });

  it('fails when a command is added to one side only', () => {
    const added = zh.replace(
      '$ codex-self-evolution status',
      '$ codex-self-evolution status\ncodex-self-evolution import',
    );
    expect(codeDrift(en, added)).toEqual([
      expect.stringContaining('line 3: null vs "codex-self-evolution import"'),
    ]);
    expect(codeDrift(added, en)).toHaveLength(1);
  });

  it('fails when a flag, an order, a config value or a whole block differs', () => {
    expect(codeDrift(en, zh.replace('install --trust', 'install'))).toHaveLength(1);
    const swapped = zh.replace(
      'npx codex-self-evolution install --trust   # 信任钩子\n$ codex-self-evolution status',
      'codex-self-evolution status\nnpx codex-self-evolution install --trust',
    );
    expect(codeDrift(en, swapped)).toHaveLength(1);
    expect(codeDrift(en, zh.replace('max_per_day = 50', 'max_per_day = 20'))).toHaveLength(1);
    expect(codeDrift(en, zh.replace('```text\n钩子：3/3 已安装\n```\n', ''))).toEqual([
      '3 code blocks in English, 2 in Chinese',
      expect.stringContaining('info string "text" vs "toml"'),
    ]);
  });

  it('reads the first cell of table rows, so a row added on one side is seen', () => {
    const table =
      '| Command | What |\n|---|---|\n| `status [--json]` | x |\n| `a\\|b` / `c` | y |\n| plain | z |\n';
    expect(tableKeys(table)).toEqual(['status [--json]', 'a\\|b', 'c']);
    const zh = table.replace('| Command | What |', '| 命令 | 作用 |').replace('| x |', '| 诊断 |');
    expect(tableKeys(zh)).toEqual(tableKeys(table));
    expect(tableKeys(`${table}| \`undo <id>\` | w |\n`)).not.toEqual(tableKeys(table));
  });

  it('keeps a # that is part of a word or inside quotes', () => {
    const commit = 'git commit -m "team: #12 lessons"';
    expect(stripComment(`${commit}   # note`)).toBe(`${commit}   `);
    expect(stripComment("echo 'a # b' x#y")).toBe("echo 'a # b' x#y");
    expect(stripComment('# whole line')).toBe('');
  });

  it('reads indented fences inside list items', () => {
    const blocks = fencedBlocks('1. Step\n\n   ```bash\n   csep recall x\n   ```\n');
    expect(blocks).toEqual([{ lang: 'bash', line: 3, body: ['csep recall x'] }]);
  });
});

describe('links of the English and Chinese docs', () => {
  const files = PAIRS.flat();
  for (const file of files) {
    it(`every relative link of ${file} points at an existing file`, () => {
      const links = relativeLinks(read(file));
      expect(links.length).toBeGreaterThan(0);
      const missing = links.filter((target) => !existsSync(resolve(ROOT, dirname(file), target)));
      expect(missing).toEqual([]);
    });
  }

  it('each file links to its translation, and each README to its getting-started guide', () => {
    const linksTo = (from: string, to: string): boolean =>
      relativeLinks(read(from)).some((target) => resolve(ROOT, dirname(from), target) === resolve(ROOT, to));
    for (const [english, chinese] of PAIRS) {
      expect(linksTo(english, chinese), `${english} → ${chinese}`).toBe(true);
      expect(linksTo(chinese, english), `${chinese} → ${english}`).toBe(true);
    }
    expect(linksTo('README.md', 'docs/getting-started.md')).toBe(true);
    expect(linksTo('README.zh-CN.md', 'docs/getting-started.zh-CN.md')).toBe(true);
    expect(linksTo('docs/getting-started.md', 'README.md')).toBe(true);
    expect(linksTo('docs/getting-started.zh-CN.md', 'README.zh-CN.md')).toBe(true);
  });

  it('finds relative links and skips URLs, anchors and code', () => {
    const text = '[a](docs/x.md#part) [b](https://e.org) [c](#top) `[d](nope.md)`\n```\n[e](no.md)\n```\n';
    expect(relativeLinks(text)).toEqual(['docs/x.md']);
  });
});
