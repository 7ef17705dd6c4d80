/**
 * Runs before every test file: in-process code that defaults to `$CODEX_HOME` (native skill
 * projection, hook inspection) must never touch the real ~/.codex, so each worker gets a temp
 * CODEX_HOME, removed when the worker exits. Tests that need a specific one pass it explicitly.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'csep-codex-home-')));
process.env.CODEX_HOME = dir;
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
