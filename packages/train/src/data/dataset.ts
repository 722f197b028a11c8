/**
 * In-memory image classification datasets, deterministic splitting and batching, and batch
 * assembly (augment at the source resolution on the host, then resize on the backend).
 */
import { seededRandom } from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import { DatasetError } from './errors';

export interface ImageDataset {
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  numClasses: number;
  /** Class names, `labels[target]`. */
  labels: string[];
  /** count·height·width·channels bytes, row-major HWC per image. */
  images: Uint8Array;
  /** count class ids in 0..numClasses-1. */
  targets: Uint8Array;
}

/** Throw a DatasetError unless the sizes of `ds` agree with each other. */
export function checkDataset(ds: ImageDataset): void {
  const { count, height, width, channels, numClasses } = ds;
  for (const [k, v] of Object.entries({ count, height, width, numClasses }))
    if (!Number.isInteger(v) || v < 0)
      throw new DatasetError('INVALID', `dataset ${k} must be an integer ≥ 0, got ${v}`);
  if (channels !== 1 && channels !== 3)
    throw new DatasetError('INVALID', `dataset channels must be 1 or 3, got ${channels}`);
  const size = count * height * width * channels;
  if (ds.images.length !== size)
    throw new DatasetError('INVALID', `dataset images: ${ds.images.length} bytes, expected ${size}`);
  if (ds.targets.length !== count)
    throw new DatasetError('INVALID', `dataset targets: ${ds.targets.length}, expected ${count}`);
  if (ds.labels.length !== numClasses)
    throw new DatasetError('INVALID', `dataset labels: ${ds.labels.length} names for ${numClasses} classes`);
}

/**
 * One seed from several integers (seed, epoch, …): a splitmix-style mix so that nearby inputs
 * give unrelated PRNG streams.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Fisher–Yates permutation of 0..n-1 from `rng`. */
export function permutation(n: number, rng: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** A new dataset holding copies of the given images, in the given order. */
export function subset(ds: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const size = ds.height * ds.width * ds.channels;
  const images = new Uint8Array(indices.length * size);
  const targets = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.count)
      throw new DatasetError('INVALID', `index ${i} out of range 0..${ds.count - 1}`);
    images.set(ds.images.subarray(i * size, (i + 1) * size), k * size);
    targets[k] = ds.targets[i];
  }
  return { ...ds, labels: ds.labels.slice(), count: indices.length, images, targets };
}

export interface SplitOptions {
  /** A fraction in (0, 1) of the images, or a count ≥ 1. */
  holdout: number;
  seed?: number;
}

/**
 * Split off a random holdout set (e.g. validation from train). Deterministic in `seed`; both parts
 * keep the original order of their images.
 */
export function split(
  ds: ImageDataset,
  { holdout, seed = 0 }: SplitOptions,
): {
  train: ImageDataset;
  holdout: ImageDataset;
} {
  checkDataset(ds);
  const n = holdout > 0 && holdout < 1 ? Math.round(holdout * ds.count) : holdout;
  if (!Number.isInteger(n) || n < 0 || n > ds.count)
    throw new DatasetError(
      'INVALID',
      `holdout must be a fraction in (0, 1) or a count in 0..${ds.count}, got ${holdout}`,
    );
  const perm = permutation(ds.count, seededRandom(mixSeed(seed, 0x5eed)));
  const held = perm.slice(0, n).sort();
  const kept = perm.slice(n).sort();
  return { train: subset(ds, kept), holdout: subset(ds, held) };
}

export interface BatchesOptions {
  batchSize: number;
  /** Shuffle each epoch (default true); false gives 0..count-1 in order. */
  shuffle?: boolean;
  seed?: number;
  /** The order depends only on (seed, epoch), so a resumed run sees the same batches. */
  epoch?: number;
  /** Drop a last, smaller batch (default false). */
  drop_last?: boolean;
}

/** How many batches `batches` yields for `count` images. */
export function numBatches(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** The index arrays of one epoch: every index once (up to the dropped tail). */
export function* batches(
  ds: Pick<ImageDataset, 'count'>,
  { batchSize, shuffle = true, seed = 0, epoch = 0, drop_last = false }: BatchesOptions,
): Generator<Int32Array, void, undefined> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new DatasetError('INVALID', `batchSize must be an integer ≥ 1, got ${batchSize}`);
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new DatasetError('INVALID', `epoch must be an integer ≥ 0, got ${epoch}`);
  const order = shuffle
    ? permutation(ds.count, seededRandom(mixSeed(seed, epoch)))
    : Int32Array.from({ length: ds.count }, (_, i) => i);
  const n = numBatches(ds.count, batchSize, drop_last);
  for (let b = 0; b < n; b++) yield order.slice(b * batchSize, Math.min((b + 1) * batchSize, ds.count));
}

export interface AugmentOptions {
  /** Mirror left–right with probability 1/2. */
  flip?: boolean;
  /** Translate by a uniform integer in [-maxShift, maxShift] pixels per axis, at the source resolution. */
  maxShift?: number;
  /** What fills the uncovered border: 'zero' (pixel 0, i.e. -1 after scaling; default) or 'edge'. */
  pad?: 'zero' | 'edge';
}

export interface MakeBatchOptions {
  /** Output size, square or [height, width]. */
  resolution: number | [number, number];
  augment?: AugmentOptions;
  /** Drives augmentation; required when `augment` does anything. */
  rng?: () => number;
  /** Output channels (default 3): greyscale is replicated to 3; RGB cannot become 1. */
  channels?: 1 | 3;
}

export interface Batch {
  /** [B, R, R, C] float32 in [-1, 1] (big_vision's value range). */
  x: tf.Tensor4D;
  /** [B] int32 class ids. */
  y: tf.Tensor1D;
}

/**
 * Assemble a batch. Augmentation runs on the host at the source resolution (cheap for small
 * images, and exactly reproducible from `rng`: each image draws flip then dy, dx, always in that
 * order); then one bilinear resize (half-pixel centres, as big_vision) to `resolution`.
 * The caller owns the returned tensors.
 */
export function makeBatch(ds: ImageDataset, indices: ArrayLike<number>, options: MakeBatchOptions): Batch {
  const { resolution, augment = {}, rng, channels = 3 } = options;
  const [outH, outW] = typeof resolution === 'number' ? [resolution, resolution] : resolution;
  if (![outH, outW].every((r) => Number.isInteger(r) && r >= 1))
    throw new DatasetError('INVALID', `resolution must be positive integers, got ${String(resolution)}`);
  if (channels !== 1 && channels !== 3)
    throw new DatasetError('INVALID', `channels must be 1 or 3, got ${channels}`);
  if (channels === 1 && ds.channels === 3)
    throw new DatasetError('INVALID', 'channels: 1 requested from an RGB dataset');
  const flip = augment.flip ?? false;
  const maxShift = augment.maxShift ?? 0;
  const edge = (augment.pad ?? 'zero') === 'edge';
  if (!Number.isInteger(maxShift) || maxShift < 0)
    throw new DatasetError('INVALID', `augment.maxShift must be an integer ≥ 0, got ${maxShift}`);
  if ((flip || maxShift > 0) && !rng) throw new DatasetError('INVALID', 'augmentation needs an `rng`');
  if (indices.length === 0) throw new DatasetError('INVALID', 'makeBatch needs at least one index');

  const { height: h, width: w, channels: c } = ds;
  const size = h * w * c;
  const b = indices.length;
  const host = new Float32Array(b * size);
  const y = new Int32Array(b);
  for (let k = 0; k < b; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= ds.count)
      throw new DatasetError('INVALID', `index ${i} out of range 0..${ds.count - 1}`);
    y[k] = ds.targets[i];
    const mirror = flip && rng!() < 0.5;
    const dy = maxShift > 0 ? Math.floor(rng!() * (2 * maxShift + 1)) - maxShift : 0;
    const dx = maxShift > 0 ? Math.floor(rng!() * (2 * maxShift + 1)) - maxShift : 0;
    const src = i * size;
    const dst = k * size;
    // out(r, q) = in(r - dy, q' - dx) with q' the (mirrored) column: the content moves by (dx, dy).
    for (let r = 0; r < h; r++) {
      let sr = r - dy;
      const rowOut = sr < 0 || sr >= h;
      if (rowOut && edge) sr = sr < 0 ? 0 : h - 1;
      for (let q = 0; q < w; q++) {
        let sq = (mirror ? w - 1 - q : q) - dx;
        const colOut = sq < 0 || sq >= w;
        if (colOut && edge) sq = sq < 0 ? 0 : w - 1;
        const o = dst + (r * w + q) * c;
        if ((rowOut || colOut) && !edge) {
          for (let ch = 0; ch < c; ch++) host[o + ch] = -1;
          continue;
        }
        const s = src + (sr * w + sq) * c;
        for (let ch = 0; ch < c; ch++) host[o + ch] = ds.images[s + ch] / 127.5 - 1;
      }
    }
  }

  return tf.tidy(() => {
    let x: tf.Tensor4D = tf.tensor4d(host, [b, h, w, c], 'float32');
    // Bilinear is per channel, so resize the single grey channel first, then replicate.
    if (outH !== h || outW !== w) x = tf.image.resizeBilinear(x, [outH, outW], false, true);
    if (channels === 3 && c === 1) x = tf.tile(x, [1, 1, 1, 3]);
    return { x, y: tf.tensor1d(y, 'int32') };
  });
}
