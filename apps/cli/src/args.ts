/** Argument parsing helpers: typed errors for bad flags, so the CLI prints one clear line. */
import { FlexiViTError } from '@flexivit/core';

export class UsageError extends FlexiViTError {
  constructor(message: string) {
    super('ARGUMENT_INVALID', message);
  }
}

export function intFlag(value: string | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive integer, got "${value}".`);
  return n;
}

/** `16` or `16x24` → a patch size / resolution. */
export function sizeFlag(value: string | undefined, name: string): number | [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)(?:x(\d+))?$/.exec(value.trim());
  if (!m || Number(m[1]) <= 0 || (m[2] !== undefined && Number(m[2]) <= 0)) {
    throw new UsageError(`--${name} must be a positive integer or HxW, got "${value}".`);
  }
  return m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])];
}

export function listFlag(value: string | undefined, name: string): number[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((v) => intFlag(v.trim(), name)!);
}
