import { expect } from 'vitest';
import type { RawArray } from '../src/checkpoint/types';
import { CheckpointError, type FlexiViTErrorCode } from '../src/errors';

export function fromB64(s: string): Uint8Array {
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale * 2 ** Math.floor(r() * 8 - 4);
  return out;
}

export function f32(shape: number[], seed: number, dtype: RawArray['dtype'] = 'float32'): RawArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype, shape, data: randomFloats(n, seed) };
}

/** Asserts `fn` throws a CheckpointError (optionally with `code`) and returns it. */
export function expectCheckpointError(fn: () => unknown, code?: FlexiViTErrorCode): CheckpointError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (!(thrown instanceof CheckpointError)) {
    throw new Error(
      `expected a CheckpointError${code ? ` ${code}` : ''}, got ${thrown === undefined ? 'no error' : String(thrown)}`,
    );
  }
  if (code) expect(thrown.code, thrown.message).toBe(code);
  return thrown;
}

export async function expectCheckpointErrorAsync(
  fn: () => Promise<unknown>,
  code?: FlexiViTErrorCode,
): Promise<CheckpointError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  if (!(thrown instanceof CheckpointError)) {
    throw new Error(
      `expected a CheckpointError${code ? ` ${code}` : ''}, got ${thrown === undefined ? 'no error' : String(thrown)}`,
    );
  }
  if (code) expect(thrown.code, thrown.message).toBe(code);
  return thrown;
}

/** Runs `fn` and fails if it throws anything but a CheckpointError. */
export function expectOnlyCheckpointErrors(fn: () => unknown, context: string): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof CheckpointError)) {
      throw new Error(`${context}: threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
  }
}
