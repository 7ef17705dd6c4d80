/** Package version, read once from package.json (kept out of hot paths). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../core/index.js';

export const VERSION: string = (() => {
  try {
    const data: unknown = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
    const version = data !== null && typeof data === 'object' && 'version' in data ? data.version : undefined;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
