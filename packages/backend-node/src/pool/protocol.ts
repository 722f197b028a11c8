/**
 * What crosses the thread boundary between the pool (main thread) and its workers: plain data only.
 * Tensors travel as `{ shape, dtype, data }` with their typed-array buffers transferred, errors as
 * `{ name, code, message, stack }` and are rebuilt as the same class on the other side.
 */
import type { ClassifierLoadOptions } from '@flexivit/classifier';
import {
  CheckpointError,
  ConfigError,
  FlexiViTError,
  type FlexiViTErrorCode,
  ImageInputError,
} from '@flexivit/core';
import { type BackendName, BackendUnavailableError } from '../select';

export type JobKind = 'classify' | 'encode' | 'logits';

/** Load options that can be sent to a worker (no functions, so no custom `fetch`). */
export type PoolLoadOptions = Omit<ClassifierLoadOptions, 'fetch' | 'labels'>;

/** A tensor as host data. */
export interface WireTensor {
  kind: 'tensor';
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  data: Float32Array | Int32Array | Uint8Array;
}

/** Raw pixels, `PixelData` with the data already owned by the message. */
export interface WirePixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels?: 1 | 3 | 4;
}

/** Strings are paths or URL hrefs; bytes and Blobs are encoded images. */
export type WireImage = string | Uint8Array | ArrayBuffer | Blob | WirePixels | WireTensor;

export interface WireFeatures {
  tokens: WireTensor;
  prefix: WireTensor;
  pooled: WireTensor | null;
  grid: [number, number];
  patchSize: [number, number];
  resolution: [number, number];
}

export interface WireError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  /** BackendUnavailableError fields. */
  requested?: string;
  skipped?: { name: BackendName; reason: string }[];
  cause?: WireError;
}

/** `workerData` of every pool worker. */
export interface WorkerInit {
  /** A path or URL href, or checkpoint bytes in a SharedArrayBuffer (one copy for all workers). */
  weights: string | Uint8Array;
  backend: BackendName | 'auto';
  labels?: readonly string[] | string;
  loadOptions: PoolLoadOptions;
}

export type ToWorker =
  | { type: 'job'; id: number; kind: JobKind; images: WireImage | WireImage[]; options: object }
  | { type: 'stats'; id: number };

export interface WorkerReport {
  numTensors: number;
  numBytes: number;
  heapUsedBytes: number;
}

export type FromWorker =
  | { type: 'ready'; backend: BackendName; tfBackend: string }
  | { type: 'init-error'; error: WireError }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError }
  | ({ type: 'stats'; id: number } & WorkerReport);

export function isWireTensor(x: unknown): x is WireTensor {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'tensor';
}

export function serializeError(err: unknown, depth = 0): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: `Non-error thrown: ${String(err)}` };
  const out: WireError = { name: err.name, message: err.message, stack: err.stack };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  if (err instanceof BackendUnavailableError) {
    out.requested = err.requested;
    out.skipped = err.skipped.map((s) => ({ ...s }));
  }
  // Causes are kept a couple of levels deep: enough to explain, bounded against cycles.
  if (err.cause !== undefined && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

const FLEXIVIT_ERRORS: Record<string, typeof FlexiViTError> = {
  FlexiViTError,
  CheckpointError,
  ImageInputError,
  ConfigError,
};

const STANDARD_ERRORS: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds an error from a worker as the same class (by name) with the same code and message. */
export function reviveError(w: WireError): Error {
  const cause = w.cause ? reviveError(w.cause) : undefined;
  const opts = cause ? { cause } : undefined;
  let err: Error;
  const Flexi = FLEXIVIT_ERRORS[w.name];
  if (Flexi && typeof w.code === 'string') {
    err = new Flexi(w.code as FlexiViTErrorCode, w.message, opts);
  } else if (w.name === 'BackendUnavailableError') {
    err = new BackendUnavailableError('', w.requested ?? '', w.skipped ?? [], opts);
    err.message = w.message; // the constructor appends the allowed names, which the original already has
  } else {
    err = new (STANDARD_ERRORS[w.name] ?? Error)(w.message, opts);
    if (err.name !== w.name) err.name = w.name;
    if (w.code !== undefined) (err as { code?: string }).code = w.code;
  }
  // The worker's stack says where it failed; the main-thread one would only point at the pool.
  if (w.stack) err.stack = w.stack;
  return err;
}
