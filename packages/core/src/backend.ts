/**
 * What the Node and browser backend pickers share: the error for a backend that cannot be used,
 * the one-line report of a choice, and putting the previous backend back after a failed switch.
 * (Model code never picks a backend; apps do, through @flexivit/backend-node or -web.)
 */
import * as tf from '@tensorflow/tfjs-core';

export interface SkippedBackend<N extends string = string> {
  name: N;
  reason: string;
}

export interface BackendChoiceOf<N extends string = string> {
  /** The candidate now in use. */
  name: N;
  /** What `tf.getBackend()` reports. */
  tfBackend: string;
  /** Faster candidates tried first, each with why it was passed over. */
  skipped: SkippedBackend<N>[];
}

/** Thrown when a backend was asked for by name and cannot be used, or the name is unknown. */
export class BackendUnavailableError<N extends string = string> extends Error {
  /** The name that was asked for, as given. */
  readonly requested: string;
  /** Names accepted. */
  readonly allowed: readonly string[];
  /** Candidates that were tried and failed, with reasons. */
  readonly skipped: readonly SkippedBackend<N>[];

  constructor(
    message: string,
    requested: string,
    allowed: readonly string[],
    skipped: readonly SkippedBackend<N>[] = [],
    options?: { cause?: unknown },
  ) {
    super(`${message} Allowed: ${allowed.join(', ')}.`, options);
    this.name = 'BackendUnavailableError';
    this.requested = requested;
    this.allowed = allowed;
    this.skipped = skipped;
  }
}

/** `backend: wasm (skipped tensorflow-gpu: module not installed; …)` */
export function describeBackend(choice: BackendChoiceOf): string {
  const head = `backend: ${choice.name}`;
  if (choice.skipped.length === 0) return head;
  return `${head} (skipped ${choice.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})`;
}

/** The first non-empty line of an error, for one-line reasons. */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n').find((l) => l.trim() !== '');
  return line?.trim() ?? 'unknown error';
}

/** A failed setBackend leaves tf on a backend with no instance: put the previous one back (best effort). */
export async function restoreBackend(previous: string | undefined): Promise<void> {
  if (previous == null || tf.getBackend() === previous) return;
  if (tf.findBackendFactory(previous) == null) return;
  try {
    await tf.setBackend(previous);
  } catch {
    // Best effort only: the caller is already getting an error.
  }
}

/**
 * A cached choice is still good if its backend is active, or can be switched back to (it was
 * started before, so that is cheap). False: the caller should pick again.
 */
export async function reuseBackend(choice: { tfBackend: string }): Promise<boolean> {
  if (tf.getBackend() === choice.tfBackend) return true;
  if (tf.findBackendFactory(choice.tfBackend) != null && (await tf.setBackend(choice.tfBackend))) {
    await tf.ready();
    return true;
  }
  return false;
}
