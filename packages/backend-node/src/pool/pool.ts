/**
 * A pool of worker threads, each with its own TensorFlow.js backend and a copy of one classifier,
 * behind the same calls as in-process use (classify, encode, logits).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Classification, ClassifyOptions } from '@flexivit/classifier';
import {
  type EncodeOptions,
  type Features,
  FlexiViTError,
  ImageInputError,
  type PixelData,
} from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, useBackend } from '../select';
import { abortError, PoolError } from './errors';
import { workerScript } from './locate';
import {
  type FromWorker,
  type JobKind,
  type PoolLoadOptions,
  reviveError,
  type ToWorker,
  type WireFeatures,
  type WireImage,
  type WireTensor,
  type WorkerInit,
  type WorkerReport,
} from './protocol';

export type { PoolLoadOptions } from './protocol';

/** What a pool call takes: anything that can be sent to another thread. */
export type PoolImage =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | Blob
  | PixelData
  | tf.Tensor3D
  | tf.Tensor4D;

export interface PoolCallOptions {
  /** Cancels the call: a waiting job is dropped, a running one's result is discarded. */
  signal?: AbortSignal;
  /**
   * Hand image bytes over to the worker without copying (default true): a Uint8Array/ArrayBuffer
   * that owns its whole buffer is detached from the caller. `false` copies instead.
   */
  transfer?: boolean;
}

export type PoolClassifyOptions = ClassifyOptions & PoolCallOptions;
export type PoolEncodeOptions = EncodeOptions & PoolCallOptions;

export interface PoolOptions {
  /** Checkpoint: a path, a URL, or its bytes (shared by all workers, not copied per worker). */
  weights: string | URL | Uint8Array | ArrayBuffer;
  /** Worker threads (default `os.availableParallelism()`). */
  workers?: number;
  /** Backend each worker activates with `useBackend` (default 'auto'; FLEXIVIT_BACKEND still wins). */
  backend?: BackendName | 'auto';
  /** Jobs that may wait for a worker (default 4 × workers); further calls wait for room. */
  maxQueue?: number;
  /** Class names, or a shipped set's name, as for `load` from @flexivit/classifier. */
  labels?: readonly string[] | string;
  /** Other options for `load` from @flexivit/classifier (everything but `fetch` and `labels`). */
  loadOptions?: PoolLoadOptions;
}

export interface WorkerStats {
  /** Worker slot, 0 … workers-1 (a replaced worker keeps its slot). */
  worker: number;
  threadId: number;
  /** The backend the worker activated. */
  backend: BackendName;
  /** `tf.memory().numTensors` in the worker. */
  numTensors: number;
  /** `tf.memory().numBytes` in the worker. */
  numBytes: number;
  /** The worker's V8 heap in use. */
  heapUsedBytes: number;
  /** Resident set size of the whole process (Node has no per-thread RSS), read on the calling thread. */
  rssBytes: number;
  /** Jobs this worker finished (results and errors). */
  jobsDone: number;
  busy: boolean;
}

export interface Pool {
  /** Number of workers. */
  readonly size: number;
  /** Jobs waiting for a worker (at most `maxQueue`). */
  readonly pending: number;
  /** Workers busy with a job. */
  readonly running: number;
  /** Calls waiting for room in the queue (backpressure). */
  readonly blocked: number;
  /** True once `close()` or `destroy()` was called. */
  readonly closed: boolean;
  /** Top-k `{ label, score }`: one list for one image, a list of lists for an array. */
  classify(images: PoolImage, options?: PoolClassifyOptions): Promise<Classification[]>;
  classify(images: PoolImage[], options?: PoolClassifyOptions): Promise<Classification[][]>;
  /** Backbone features, as tensors on the calling thread's backend; call `dispose()`. */
  encode(images: PoolImage | PoolImage[], options?: PoolEncodeOptions): Promise<Features>;
  /** Logits [B, C] as a tensor on the calling thread's backend. */
  logits(images: PoolImage | PoolImage[], options?: PoolEncodeOptions): Promise<tf.Tensor2D>;
  /** Per-worker memory and job counts. */
  stats(): Promise<WorkerStats[]>;
  /** Resolves when nothing is running, queued or blocked. */
  onIdle(): Promise<void>;
  /** Stops accepting calls, finishes every accepted one, then ends the workers. */
  close(): Promise<void>;
  /** Rejects every unfinished call and ends the workers now. */
  destroy(): Promise<void>;
}

interface Job {
  id: number;
  kind: JobKind;
  images: WireImage | WireImage[];
  options: object;
  transfer: ArrayBuffer[];
  state: 'blocked' | 'queued' | 'running' | 'done';
  resolve(value: unknown): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

interface Slot {
  index: number;
  worker: Worker;
  threadId: number;
  state: 'starting' | 'idle' | 'busy' | 'exiting';
  backend: BackendName;
  job?: Job;
  jobsDone: number;
  stats: Map<number, (report: WorkerReport | null) => void>;
  lastError?: Error;
}

// --- Images → messages ---------------------------------------------------------------------------

function tag(x: unknown): string {
  return Object.prototype.toString.call(x).slice(8, -1);
}

function isTensorLike(x: unknown): x is tf.Tensor {
  const t = x as Partial<tf.Tensor> | null;
  return typeof t === 'object' && t !== null && typeof t.dataSync === 'function' && Array.isArray(t.shape);
}

function isBlob(x: unknown): x is Blob {
  return typeof Blob !== 'undefined' && x instanceof Blob;
}

function describeValue(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x !== 'object') return typeof x;
  return (x as { constructor?: { name?: string } }).constructor?.name ?? 'object';
}

class Packer {
  readonly transfer = new Set<ArrayBuffer>();
  /** Buffers already moved in this call, so one passed twice is sent twice, not detached then empty. */
  private readonly moved = new Map<ArrayBuffer, ArrayBuffer>();
  constructor(private readonly move: boolean) {}

  /** A buffer the message owns: the caller's moved out (zero-copy), or a copy. */
  private own(buf: ArrayBuffer): ArrayBuffer {
    const seen = this.moved.get(buf);
    if (seen) return seen;
    if (buf.byteLength === 0) return new ArrayBuffer(0);
    let out: ArrayBuffer;
    if (!this.move) out = buf.slice(0);
    else {
      try {
        out = structuredClone(buf, { transfer: [buf] });
      } catch {
        out = buf.slice(0); // not transferable (e.g. marked untransferable): copy
      }
    }
    this.transfer.add(out);
    this.moved.set(buf, out);
    return out;
  }

  private bytes<T extends Uint8Array | Uint8ClampedArray>(view: T): T {
    const buf = view.buffer;
    // Shared memory is sent by reference and needs no transfer.
    if (tag(buf) === 'SharedArrayBuffer') return view;
    const Ctor = view.constructor as new (b: ArrayBuffer) => T;
    // Only a view of a whole buffer can be moved; part of a larger one (e.g. Node's Buffer pool) is copied.
    if (view.byteOffset === 0 && view.byteLength === buf.byteLength)
      return new Ctor(this.own(buf as ArrayBuffer));
    const copy = view.slice() as T;
    this.transfer.add(copy.buffer as ArrayBuffer);
    return copy;
  }

  image(x: PoolImage): WireImage {
    if (typeof x === 'string') return x;
    if (x instanceof URL) return x.href;
    if (tag(x) === 'Uint8Array' || tag(x) === 'Uint8ClampedArray') return this.bytes(x as Uint8Array);
    if (tag(x) === 'ArrayBuffer') return this.own(x as ArrayBuffer);
    if (tag(x) === 'SharedArrayBuffer') return x as ArrayBuffer;
    if (isBlob(x)) return x; // Blobs are cloned by reference to the same data
    if (isTensorLike(x)) return this.tensor(x);
    const p = x as Partial<PixelData> | null;
    if (
      typeof p === 'object' &&
      p !== null &&
      (tag(p.data) === 'Uint8Array' || tag(p.data) === 'Uint8ClampedArray') &&
      typeof p.width === 'number' &&
      typeof p.height === 'number'
    ) {
      const out = { data: this.bytes(p.data!), width: p.width, height: p.height };
      return p.channels === undefined ? out : { ...out, channels: p.channels };
    }
    throw new ImageInputError(
      'IMAGE_UNSUPPORTED_INPUT',
      `Pool calls take a path or URL, Uint8Array/ArrayBuffer/Blob of encoded bytes, {data, width, height, channels?} ` +
        `pixels, or a tf.Tensor3D/Tensor4D; got ${describeValue(x)}.`,
    );
  }

  private tensor(t: tf.Tensor): WireTensor {
    if (t.dtype !== 'float32' && t.dtype !== 'int32' && t.dtype !== 'bool') {
      throw new ImageInputError(
        'IMAGE_UNSUPPORTED_INPUT',
        `Image tensors must be numeric; got dtype ${t.dtype}.`,
      );
    }
    // Copy: dataSync() can be the tensor's own storage (cpu backend), which must not be detached.
    const data = (t.dataSync() as Float32Array | Int32Array | Uint8Array).slice();
    this.transfer.add(data.buffer as ArrayBuffer);
    return { kind: 'tensor', shape: t.shape.slice(), dtype: t.dtype, data };
  }
}

// --- Results → tensors on this thread ------------------------------------------------------------

function tensorFrom<R extends tf.Rank>(w: WireTensor): tf.Tensor<R> {
  return tf.tensor(w.data, w.shape as tf.ShapeMap[R], w.dtype) as tf.Tensor<R>;
}

function featuresFrom(w: WireFeatures): Features {
  const tokens = tensorFrom<tf.Rank.R3>(w.tokens);
  const prefix = tensorFrom<tf.Rank.R3>(w.prefix);
  const pooled = w.pooled ? tensorFrom<tf.Rank.R2>(w.pooled) : null;
  return {
    tokens,
    prefix,
    pooled,
    grid: w.grid,
    patchSize: w.patchSize,
    resolution: w.resolution,
    dispose() {
      tf.dispose(pooled ? [tokens, prefix, pooled] : [tokens, prefix]);
    },
  };
}

// --- The pool ------------------------------------------------------------------------------------

let nextId = 1;

class WorkerPool implements Pool {
  readonly size: number;
  private readonly maxQueue: number;
  private readonly script: string;
  private readonly init: WorkerInit;
  private readonly slots: Slot[] = [];
  /** Idle workers, longest idle first, so work spreads across all of them. */
  private readonly idle: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly waiting: Job[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closedReason: PoolError | undefined;
  private closing: Promise<void> | undefined;
  private mainBackend: Promise<void> | undefined;

  constructor(options: PoolOptions, init: WorkerInit) {
    const workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 1) {
      throw new FlexiViTError('ARGUMENT_INVALID', `workers must be a positive integer, got ${workers}.`);
    }
    const maxQueue = options.maxQueue ?? 4 * workers;
    if (!Number.isInteger(maxQueue) || maxQueue < 0) {
      throw new FlexiViTError(
        'ARGUMENT_INVALID',
        `maxQueue must be a non-negative integer, got ${maxQueue}.`,
      );
    }
    this.size = workers;
    this.maxQueue = maxQueue;
    this.init = init;
    this.script = workerScript();
  }

  get pending(): number {
    return this.queue.length;
  }
  get running(): number {
    return this.slots.filter((s) => s.state === 'busy').length;
  }
  get blocked(): number {
    return this.waiting.length;
  }
  get closed(): boolean {
    return this.state !== 'open';
  }

  /** Starts every worker; rejects with the first startup error (e.g. a missing checkpoint). */
  async start(): Promise<void> {
    try {
      await Promise.all(Array.from({ length: this.size }, (_, i) => this.spawn(i)));
    } catch (err) {
      await this.destroy();
      throw err;
    }
  }

  classify(images: PoolImage, options?: PoolClassifyOptions): Promise<Classification[]>;
  classify(images: PoolImage[], options?: PoolClassifyOptions): Promise<Classification[][]>;
  classify(
    images: PoolImage | PoolImage[],
    options?: PoolClassifyOptions,
  ): Promise<Classification[] | Classification[][]> {
    return this.submit('classify', images, options) as Promise<Classification[] | Classification[][]>;
  }

  async encode(images: PoolImage | PoolImage[], options?: PoolEncodeOptions): Promise<Features> {
    const wire = (await this.submit('encode', images, options)) as WireFeatures;
    await this.ensureMainBackend();
    return featuresFrom(wire);
  }

  async logits(images: PoolImage | PoolImage[], options?: PoolEncodeOptions): Promise<tf.Tensor2D> {
    const wire = (await this.submit('logits', images, options)) as WireTensor;
    await this.ensureMainBackend();
    return tensorFrom<tf.Rank.R2>(wire);
  }

  async stats(): Promise<WorkerStats[]> {
    const live = this.slots.filter((s) => s.state === 'idle' || s.state === 'busy');
    const reports = await Promise.all(
      live.map(
        (slot) =>
          new Promise<WorkerReport | null>((resolve) => {
            const id = nextId++;
            slot.stats.set(id, resolve);
            slot.worker.ref();
            this.post(slot, { type: 'stats', id });
          }),
      ),
    );
    const rssBytes = process.memoryUsage().rss;
    const out: WorkerStats[] = [];
    live.forEach((slot, i) => {
      const r = reports[i];
      if (r == null) return; // died while answering
      out.push({
        worker: slot.index,
        threadId: slot.threadId,
        backend: slot.backend,
        ...r,
        rssBytes,
        jobsDone: slot.jobsDone,
        busy: slot.state === 'busy',
      });
    });
    return out.sort((a, b) => a.worker - b.worker);
  }

  onIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.closedReason = new PoolError(
        'POOL_CLOSED',
        'The pool is closed; create a new one with createPool().',
      );
    }
    this.closing ??= this.onIdle().then(() => this.terminateAll());
    return this.closing;
  }

  async destroy(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.closedReason = new PoolError(
        'POOL_CLOSED',
        'The pool was destroyed; create a new one with createPool().',
      );
    }
    const dropped = new PoolError('POOL_DESTROYED', 'The pool was destroyed before this call finished.');
    for (const job of [...this.waiting, ...this.queue]) this.settle(job, dropped);
    this.waiting.length = 0;
    this.queue.length = 0;
    for (const slot of this.slots) if (slot.job) this.settle(slot.job, dropped);
    await this.terminateAll();
  }

  // --- internals ---

  private submit(
    kind: JobKind,
    images: PoolImage | PoolImage[],
    options: PoolCallOptions = {},
  ): Promise<unknown> {
    if (this.state !== 'open') return Promise.reject(this.closedReason);
    const { signal, transfer = true, ...rest } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const packer = new Packer(transfer);
    let wire: WireImage | WireImage[];
    try {
      wire = Array.isArray(images) ? images.map((x) => packer.image(x)) : packer.image(images);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: nextId++,
        kind,
        images: wire,
        options: rest,
        transfer: [...packer.transfer],
        state: 'blocked',
        resolve,
        reject,
      };
      if (signal) {
        job.signal = signal;
        job.onAbort = () => this.abort(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.waiting.push(job);
      this.pump();
    });
  }

  /** Moves waiting calls into the queue while there is room, and queued jobs to idle workers. */
  private pump(): void {
    for (;;) {
      while (this.waiting.length > 0 && this.queue.length < this.maxQueue) {
        const job = this.waiting.shift()!;
        job.state = 'queued';
        this.queue.push(job);
      }
      // maxQueue 0: a call goes straight to an idle worker or waits.
      if (this.maxQueue === 0 && this.queue.length === 0 && this.waiting.length > 0 && this.idle.length > 0) {
        const job = this.waiting.shift()!;
        job.state = 'queued';
        this.queue.push(job);
      }
      if (this.queue.length === 0 || this.idle.length === 0) break;
      this.dispatch(this.idle.shift()!, this.queue.shift()!);
    }
    this.checkIdle();
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.state = 'busy';
    slot.job = job;
    job.state = 'running';
    slot.worker.ref(); // a busy worker keeps the process alive until its result is in
    const msg: ToWorker = {
      type: 'job',
      id: job.id,
      kind: job.kind,
      images: job.images,
      options: job.options,
    };
    try {
      slot.worker.postMessage(msg, job.transfer);
    } catch (err) {
      // Not cloneable (e.g. a function in the options): the worker never saw it.
      slot.job = undefined;
      this.makeIdle(slot);
      this.settle(
        job,
        new FlexiViTError(
          'ARGUMENT_INVALID',
          `The call could not be sent to a worker: ${(err as Error).message}`,
          {
            cause: err,
          },
        ),
      );
    }
  }

  private post(slot: Slot, msg: ToWorker): void {
    try {
      slot.worker.postMessage(msg);
    } catch {
      // The worker is gone; its exit handler settles everything.
    }
  }

  private makeIdle(slot: Slot): void {
    slot.state = 'idle';
    this.idle.push(slot);
    if (slot.stats.size === 0) slot.worker.unref(); // an idle pool does not keep the process alive
  }

  private settle(job: Job, err: unknown, value?: unknown): void {
    if (job.state === 'done') return;
    job.state = 'done';
    if (job.signal && job.onAbort) job.signal.removeEventListener('abort', job.onAbort);
    if (err !== undefined) job.reject(err);
    else job.resolve(value);
  }

  private abort(job: Job): void {
    if (job.state === 'done') return;
    const list = job.state === 'blocked' ? this.waiting : job.state === 'queued' ? this.queue : undefined;
    if (list) list.splice(list.indexOf(job), 1);
    // A running job cannot be interrupted: the worker finishes it and the result is dropped.
    this.settle(job, abortError(job.signal!));
    this.pump();
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    if (msg.type === 'stats') {
      const resolve = slot.stats.get(msg.id);
      slot.stats.delete(msg.id);
      if (slot.stats.size === 0 && slot.state === 'idle') slot.worker.unref();
      resolve?.({ numTensors: msg.numTensors, numBytes: msg.numBytes, heapUsedBytes: msg.heapUsedBytes });
      return;
    }
    if (msg.type !== 'result' && msg.type !== 'error') return;
    const job = slot.job;
    if (job?.id !== msg.id) return;
    slot.job = undefined;
    slot.jobsDone++;
    this.makeIdle(slot);
    if (msg.type === 'result') this.settle(job, undefined, msg.value);
    else this.settle(job, reviveError(msg.error));
    this.pump();
  }

  private spawn(index: number): Promise<Slot> {
    const worker = new Worker(this.script, { workerData: this.init });
    const slot: Slot = {
      index,
      worker,
      threadId: worker.threadId,
      state: 'starting',
      backend: 'cpu',
      jobsDone: 0,
      stats: new Map(),
    };
    this.slots.push(slot);
    return new Promise<Slot>((resolve, reject) => {
      worker.on('message', (msg: FromWorker) => {
        if (slot.state === 'starting') {
          if (msg.type === 'ready') {
            slot.backend = msg.backend;
            if (this.state === 'closed') return;
            this.makeIdle(slot);
            resolve(slot);
            this.pump();
          } else if (msg.type === 'init-error') {
            this.remove(slot);
            reject(reviveError(msg.error));
          }
          return;
        }
        this.onMessage(slot, msg);
      });
      worker.on('error', (err) => {
        slot.lastError = err;
      });
      worker.on('exit', (code) => {
        if (slot.state === 'exiting') return;
        const why = slot.lastError ? `: ${slot.lastError.message}` : '';
        if (slot.state === 'starting') {
          this.slots.splice(this.slots.indexOf(slot), 1);
          reject(
            new PoolError('WORKER_DIED', `Pool worker ${index} exited during startup (code ${code})${why}.`, {
              cause: slot.lastError,
            }),
          );
          return;
        }
        this.onDeath(slot, code, why);
      });
    });
  }

  /** Ends a worker on purpose (its exit is not a crash). */
  private remove(slot: Slot): Promise<number> {
    slot.state = 'exiting';
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    const j = this.idle.indexOf(slot);
    if (j >= 0) this.idle.splice(j, 1);
    for (const resolve of slot.stats.values()) resolve(null);
    slot.stats.clear();
    return slot.worker.terminate();
  }

  private onDeath(slot: Slot, code: number, why: string): void {
    const job = slot.job;
    slot.job = undefined;
    void this.remove(slot);
    if (job) {
      this.settle(
        job,
        new PoolError(
          'WORKER_DIED',
          `Pool worker ${slot.index} (thread ${slot.threadId}) died while running this job (exit code ${code})${why}; it is being replaced.`,
          { cause: slot.lastError },
        ),
      );
    }
    if (this.state === 'closed') return;
    this.spawn(slot.index).catch((err: unknown) => this.onRestartFailed(err));
    this.checkIdle();
  }

  /** A replacement could not start; with no worker left, nothing accepted could ever run. */
  private onRestartFailed(err: unknown): void {
    if (this.slots.length > 0 || this.state === 'closed') return;
    const reason = new PoolError('POOL_CLOSED', 'Every pool worker died and none could be restarted.', {
      cause: err,
    });
    this.state = 'closing';
    this.closedReason = reason;
    for (const job of [...this.waiting, ...this.queue]) this.settle(job, reason);
    this.waiting.length = 0;
    this.queue.length = 0;
    this.checkIdle();
  }

  private isIdle(): boolean {
    return (
      this.queue.length === 0 && this.waiting.length === 0 && this.slots.every((s) => s.state !== 'busy')
    );
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async terminateAll(): Promise<void> {
    this.state = 'closed';
    await Promise.all([...this.slots].map((s) => this.remove(s)));
    this.checkIdle();
  }

  /** Result tensors need a backend on this thread; start one if the app never did. */
  private ensureMainBackend(): Promise<void> {
    this.mainBackend ??= (async () => {
      if (Object.keys(tf.engine().registryFactory).length === 0) await useBackend(this.init.backend);
      await tf.ready();
    })().catch((err: unknown) => {
      this.mainBackend = undefined; // let a later call try again
      throw err;
    });
    return this.mainBackend;
  }
}

/** Test hook: the live worker threads (not part of the public API). */
export function poolWorkers(pool: Pool): Worker[] {
  return (pool as unknown as { slots: Slot[] }).slots.map((s) => s.worker);
}

function toWeights(weights: PoolOptions['weights']): string | Uint8Array {
  if (typeof weights === 'string') return weights;
  if (weights instanceof URL) return weights.href;
  const src =
    tag(weights) === 'ArrayBuffer' || tag(weights) === 'SharedArrayBuffer'
      ? new Uint8Array(weights as ArrayBuffer)
      : (weights as Uint8Array);
  if (tag(src.buffer) === 'SharedArrayBuffer') return src;
  // One shared copy for every worker, including replacements started later.
  const shared = new Uint8Array(new SharedArrayBuffer(src.byteLength));
  shared.set(src);
  return shared;
}

/**
 * Starts a pool of worker threads, each loading the classifier checkpoint once on its own
 * TensorFlow.js backend. Resolves when every worker is ready; rejects with the first worker's
 * startup error (the same class and code as an in-process `load`).
 */
export async function createPool(options: PoolOptions): Promise<Pool> {
  if (options == null || options.weights == null) {
    throw new FlexiViTError(
      'ARGUMENT_INVALID',
      'createPool needs { weights }: a checkpoint path, URL or bytes.',
    );
  }
  const init: WorkerInit = {
    weights: toWeights(options.weights),
    backend: options.backend ?? 'auto',
    labels: options.labels,
    loadOptions: options.loadOptions ?? {},
  };
  const pool = new WorkerPool(options, init);
  await pool.start();
  return pool;
}
