// Lint: typescript-eslint's recommended rules, no import cycles, and imports that only point down
// the layers described in docs/architecture.md. Formatting is Prettier's (`npm run format`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Layers from the bottom up; a file may import its own layer and the ones below, never above. */
export const LAYERS = [
  {
    name: 'infrastructure',
    files: [
      'src/core/fs/**',
      'src/core/lock/**',
      'src/core/process/**',
      'src/core/config/**',
      'src/core/redact/**',
      'src/core/{constants,env,errors,git,json,log,paths,prompts,testing}.ts',
    ],
  },
  {
    name: 'domain',
    files: [
      'src/core/memory/**',
      'src/core/queue/**',
      'src/core/spool/**',
      'src/core/recall/**',
      'src/core/agents/**',
      'src/core/team/{store,recall,schema,merge}.ts',
      'src/core/{schemas,agent-types}.ts',
    ],
  },
  {
    name: 'flows',
    files: [
      'src/core/compiler/**',
      'src/core/review/**',
      'src/core/install/**',
      'src/core/skills/**',
      'src/core/team/share*.ts',
      'src/core/flows/**',
      'src/core/{session-start,settings,status}.ts',
    ],
  },
  { name: 'api', files: ['src/core/{index,api}.ts'] },
  { name: 'cli', files: ['src/cli/**'] },
];

/** One zone per (lower layer, higher layer) pair: the lower may not import from the higher. */
const layerZones = LAYERS.flatMap((lower, i) =>
  LAYERS.slice(i + 1).map((higher) => ({
    target: lower.files,
    from: higher.files,
    message: `the ${lower.name} layer may not import from the ${higher.name} layer (docs/architecture.md)`,
  })),
);

/** The CLI reaches core only through its public API, src/core/index.ts (docs/api.md). */
const publicApiZone = {
  target: ['src/cli/**'],
  from: 'src/core',
  except: ['./index.ts'],
  message: 'the cli imports core only through src/core/index.ts, its public API (docs/api.md)',
};

/** Commands share code through cli/ modules (cli/context.ts, cli/config-use.ts, ...), never each other. */
const commandsZone = {
  target: ['src/cli/commands/**'],
  from: 'src/cli/commands',
  message: 'a command may not import another command: move the shared part to a cli/ module',
};

/** Dynamic imports of a process module (static ones are `no-restricted-imports`). */
const PROCESS_SYNTAX = [
  {
    selector: 'ImportExpression[source.value=/^((node:)?child_process|execa)$/]',
    message: 'start child processes through src/core/process (runProcess, runSync, spawnDetached)',
  },
];

/**
 * Parsed JSON is `unknown` until a schema (or, on the hook path, a reader tested against one) or a
 * narrowing check says otherwise: no `JSON.parse(...) as T`, no `any` from an unannotated
 * `const x = JSON.parse(...)`.
 */
const JSON_CAST_SYNTAX = [
  {
    selector:
      "TSAsExpression[typeAnnotation.type!='TSUnknownKeyword'] > CallExpression.expression" +
      "[callee.object.name='JSON'][callee.property.name='parse']",
    message: 'read JSON as unknown and check it: a schema (parseJsonWith, readJsonFile), or a narrowing',
  },
  {
    selector:
      'VariableDeclarator:not([id.typeAnnotation]) > ' +
      "CallExpression.init[callee.object.name='JSON'][callee.property.name='parse']",
    message: 'annotate the parsed value as unknown (`const data: unknown = JSON.parse(...)`)',
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'bench/**',
      'fixtures/**',
      'test/fixtures/**',
      'test/harness/**',
      '.bench-tmp/**',
      'src/core/recall/reference-vocab-data.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
      },
    },
    settings: {
      // Without these the cycle rule cannot parse the TypeScript files it follows and sees no cycle.
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // A leading underscore marks a parameter or binding that is unused on purpose (a signature
      // to keep, a field dropped from a rest copy).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      'import-x/no-restricted-paths': ['error', { zones: [...layerZones, publicApiZone, commandsZone] }],
      'max-len': [
        'error',
        {
          code: 110,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
          ignoreUrls: true,
        },
      ],
    },
  },
  {
    // One module starts child processes (docs/architecture.md): the runner's timeout kills the
    // whole process tree, and no call goes through a shell. Tests and scripts are exempt.
    files: ['src/**'],
    ignores: ['src/core/process/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['node:child_process', 'child_process', 'execa'].map((name) => ({
            name,
            message: 'start child processes through src/core/process (runProcess, runSync, spawnDetached)',
          })),
        },
      ],
    },
  },
  // `no-restricted-syntax` is one setting per file (a later block replaces an earlier one), so its
  // two selector groups are given per set of files: every src/ file gets both, except the process
  // module (it may start processes).
  {
    files: ['src/**'],
    ignores: ['src/core/process/**'],
    rules: { 'no-restricted-syntax': ['error', ...PROCESS_SYNTAX, ...JSON_CAST_SYNTAX] },
  },
  { files: ['src/core/process/**'], rules: { 'no-restricted-syntax': ['error', ...JSON_CAST_SYNTAX] } },
  {
    // Tests poke at loosely shaped JSON; `any` there is a reading aid, not a type hole in shipped code.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
