import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PARITY_DIR = fileURLToPath(new URL('./fixtures/parity/', import.meta.url));
export const PARITY_NPZ = `${PARITY_DIR}flexivit-tiny.npz`;
export const PARITY_IMAGE = `${PARITY_DIR}image.png`;
export const CLI = fileURLToPath(new URL('../apps/cli/dist/bin.js', import.meta.url));

/** Reference numbers computed by timm's big_vision loader (see fixtures/parity/README.md). */
export interface ParityExpected {
  resolution: number;
  width: number;
  depth: number;
  heads: number;
  mlp_dim: number;
  classes: number;
  logits: Record<string, number[]>;
  pre_logits: Record<string, number[]>;
  pi_resize: Record<string, number[][]>;
}

export const EXPECTED: ParityExpected = JSON.parse(readFileSync(`${PARITY_DIR}expected.json`, 'utf8'));

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
