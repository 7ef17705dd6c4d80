import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    clearMocks: true,
    restoreMocks: true,
    unstubEnvs: true,
    // Spawned CLIs and real Codex/opencode runs need room on a loaded 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // In-process tests must never write into the real ~/.codex/skills; e2e tests spawn the CLI
    // with their own HOME and CODEX_HOME.
    env: { NO_COLOR: '1' },
    globalSetup: ['test/helpers/isolate-codex-home.ts'],
  },
});
