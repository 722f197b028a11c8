export type PoolErrorCode =
  /** A call after `close()` or `destroy()`, or after every worker died and none could be restarted. */
  | 'POOL_CLOSED'
  /** A queued or running job thrown away by `destroy()`. */
  | 'POOL_DESTROYED'
  /** The worker running the job exited or crashed; the pool replaces it. */
  | 'WORKER_DIED'
  /** The built worker script is not where the pool looks for it. */
  | 'WORKER_SCRIPT_MISSING';

/** Failures of the pool itself (model and input errors keep their own classes). */
export class PoolError extends Error {
  readonly code: PoolErrorCode;
  constructor(code: PoolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The rejection for an aborted call: the signal's own AbortError, or one wrapping its reason. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const err = new Error('The operation was aborted.', { cause: reason });
  err.name = 'AbortError';
  return err;
}
