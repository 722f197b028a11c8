/** Finds the built worker script (dist/pool/worker.{js,cjs}) from wherever this module runs. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PoolError } from './errors';

const PACKAGE_NAME = '@flexivit/backend-node';

/** This module's own file: `__filename` where defined (CJS build, Vitest), else import.meta.url. */
function thisFile(): string {
  if (typeof __filename === 'string' && __filename !== '') return __filename;
  return fileURLToPath(import.meta.url); // tsup --shims makes this valid in the CJS build too
}

function packageRoot(from: string): string | undefined {
  for (let dir = from; ; ) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME)
          return dir;
      } catch {
        // Not our manifest; keep walking up.
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The built module (dist/index.*, or a dist/chunk-*) has the worker at ./pool/worker.*; a source
 * module (Vitest running src/) uses the package's dist, so build before testing.
 */
export function workerScript(): string {
  const file = thisFile();
  const dir = dirname(file);
  const exts = file.endsWith('.cjs') ? ['.cjs', '.js'] : ['.js', '.cjs'];
  const candidates = exts.flatMap((ext) => [join(dir, 'pool', `worker${ext}`), join(dir, `worker${ext}`)]);
  const root = packageRoot(dir);
  if (root) candidates.push(...exts.map((ext) => join(root, 'dist', 'pool', `worker${ext}`)));
  // Skip ourselves: in src/pool/ the sibling is worker.ts, never worker.js, but be explicit.
  const found = candidates.find((c) => c !== file && existsSync(c));
  if (found) return found;
  throw new PoolError(
    'WORKER_SCRIPT_MISSING',
    `${PACKAGE_NAME}: the pool worker script was not found (looked for ${candidates.join(', ')}). ` +
      'Build the package (pnpm build) and do not bundle it into a single file.',
  );
}
