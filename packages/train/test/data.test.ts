import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlexiViTError, seededRandom } from '@flexivit/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batches,
  DatasetError,
  DEFAULT_FASHION_MNIST_DIR,
  FASHION_MNIST_LABELS,
  type FashionMnist,
  type ImageDataset,
  loadFashionMnist,
  loadFashionMnistDataset,
  makeBatch,
  numBatches,
  readIdx,
  split,
} from '../src';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const haveData = existsSync(DEFAULT_FASHION_MNIST_DIR);
if (!haveData)
  console.warn(
    `skipping the real Fashion-MNIST tests: ${DEFAULT_FASHION_MNIST_DIR} is missing (sudo apt-get install dataset-fashion-mnist)`,
  );

/** An IDX file: header for `dims`, then `data` (or zeros). */
function idx(dims: number[], dtype = 0x08, data?: Uint8Array): Uint8Array {
  const size = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + size);
  out[2] = dtype;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d, false);
  if (data) out.set(data, 4 + 4 * dims.length);
  return out;
}

function expectDatasetError(f: () => unknown, reason: DatasetError['reason'], message?: RegExp) {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    expect(e).toBeInstanceOf(FlexiViTError);
    expect((e as DatasetError).code).toBe('ARGUMENT_INVALID');
    expect((e as DatasetError).reason).toBe(reason);
    if (message) expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a DatasetError');
}

describe('readIdx', () => {
  it('parses dims and data big-endian', () => {
    const bytes = idx(
      [2, 3, 258],
      0x08,
      Uint8Array.from({ length: 2 * 3 * 258 }, (_, i) => i % 251),
    );
    const a = readIdx(bytes);
    expect(a.dims).toEqual([2, 3, 258]);
    expect(a.data.length).toBe(2 * 3 * 258);
    expect(a.data[252]).toBe(1);
  });

  it('rejects truncated files, bad magic, other dtypes, trailing bytes', () => {
    const good = idx([4, 5]);
    expectDatasetError(
      () => readIdx(good.subarray(0, good.length - 1)),
      'TRUNCATED',
      /need 20 data bytes, found 19/,
    );
    expectDatasetError(() => readIdx(good.subarray(0, 6)), 'TRUNCATED', /header/);
    expectDatasetError(() => readIdx(good.subarray(0, 2)), 'TRUNCATED');
    const magic = good.slice();
    magic[1] = 1;
    expectDatasetError(() => readIdx(magic), 'CORRUPT', /magic/);
    expectDatasetError(() => readIdx(Uint8Array.of(0x1f, 0x8b, 8, 0, 0)), 'CORRUPT', /gzipped/);
    expectDatasetError(() => readIdx(idx([4, 5], 0x0d)), 'UNSUPPORTED_DTYPE', /0x0d \(float\)/);
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    expectDatasetError(() => readIdx(trailing), 'CORRUPT', /trailing/);
  });
});

describe('loadFashionMnist errors', () => {
  it('names the folder and gives the install hint when the folder is missing', async () => {
    const dir = '/nonexistent/fashion-mnist';
    const err = await loadFashionMnist(dir, 'test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).reason).toBe('NOT_FOUND');
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toContain('sudo apt-get install dataset-fashion-mnist');
    expect((err as Error).message).toContain('--data DIR');
  });

  it('reads un-gzipped files and names a missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-'));
    try {
      const images = Uint8Array.from({ length: 2 * 28 * 28 }, (_, i) => i & 255);
      await writeFile(join(dir, 't10k-images-idx3-ubyte'), idx([2, 28, 28], 0x08, images));
      const err = await loadFashionMnist(dir, 'test').catch((e: unknown) => e);
      expect((err as DatasetError).reason).toBe('NOT_FOUND');
      expect((err as Error).message).toContain('t10k-labels-idx1-ubyte');
      await writeFile(join(dir, 't10k-labels-idx1-ubyte'), idx([2], 0x08, Uint8Array.of(3, 9)));
      const d = await loadFashionMnist(dir, 'test');
      expect(d.count).toBe(2);
      expect(Array.from(d.labels)).toEqual([3, 9]);
      expect(d.images).toEqual(images);
      // Labels that disagree with the images in count are corrupt.
      await writeFile(join(dir, 't10k-labels-idx1-ubyte'), idx([3], 0x08, Uint8Array.of(3, 9, 1)));
      const bad = await loadFashionMnist(dir, 'test').catch((e: unknown) => e);
      expect((bad as DatasetError).reason).toBe('CORRUPT');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!haveData)('Fashion-MNIST files', () => {
  let train: FashionMnist;
  let test: FashionMnist;
  beforeAll(async () => {
    [train, test] = await Promise.all([
      loadFashionMnist(undefined, 'train'),
      loadFashionMnist(DEFAULT_FASHION_MNIST_DIR, 'test'),
    ]);
  });

  it('has 60,000 + 10,000 images of 28×28 and balanced labels', () => {
    for (const [d, n] of [
      [train, 60000],
      [test, 10000],
    ] as const) {
      expect(d.count).toBe(n);
      expect([d.height, d.width]).toEqual([28, 28]);
      expect(d.images.length).toBe(n * 28 * 28);
      expect(d.labels.length).toBe(n);
      const perClass = new Array(10).fill(0);
      for (const l of d.labels) perClass[l]++;
      expect(perClass).toEqual(new Array(10).fill(n / 10));
    }
  });

  it('starts with an ankle boot in both splits', () => {
    expect(train.labels[0]).toBe(9);
    expect(test.labels[0]).toBe(9);
    expect(FASHION_MNIST_LABELS[9]).toBe('Ankle boot');
    expect(FASHION_MNIST_LABELS).toHaveLength(10);
  });

  it('has the published mean pixel value 0.2860', () => {
    let sum = 0;
    for (let i = 0; i < train.images.length; i++) sum += train.images[i];
    expect(sum / train.images.length / 255).toBeCloseTo(0.286, 3);
  });

  it('becomes an ImageDataset and a batch', async () => {
    const ds = await loadFashionMnistDataset(undefined, 'test');
    expect(ds).toMatchObject({ count: 10000, height: 28, width: 28, channels: 1, numClasses: 10 });
    const { x, y } = makeBatch(ds, [0, 1], { resolution: 32 });
    expect(x.shape).toEqual([2, 32, 32, 3]);
    expect((await y.data())[0]).toBe(9);
    tf.dispose([x, y]);
  });
});

/** max |a - b|, with no tensors left behind. */
async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

/** A small synthetic greyscale dataset with left–right asymmetric images. */
function synthetic(count: number, h = 6, w = 5): ImageDataset {
  const images = new Uint8Array(count * h * w);
  for (let i = 0; i < images.length; i++) images[i] = (i * 37 + 11) % 256;
  return {
    count,
    height: h,
    width: w,
    channels: 1,
    numClasses: 4,
    labels: ['a', 'b', 'c', 'd'],
    images,
    targets: Uint8Array.from({ length: count }, (_, i) => i % 4),
  };
}

describe('split', () => {
  it('is deterministic, disjoint and complete', () => {
    const ds = synthetic(100);
    // Tag each image by its index so the parts can be traced back.
    for (let i = 0; i < 100; i++) ds.images[i * 30] = i;
    const a = split(ds, { holdout: 0.2, seed: 3 });
    const b = split(ds, { holdout: 20, seed: 3 });
    const c = split(ds, { holdout: 0.2, seed: 4 });
    expect(a.holdout.count).toBe(20);
    expect(a.train.count).toBe(80);
    const ids = (d: ImageDataset) => Array.from({ length: d.count }, (_, k) => d.images[k * 30]);
    expect(ids(a.holdout)).toEqual(ids(b.holdout));
    expect(ids(a.holdout)).not.toEqual(ids(c.holdout));
    expect([...ids(a.train), ...ids(a.holdout)].sort((p, q) => p - q)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    expect(ids(a.train)).toEqual([...ids(a.train)].sort((p, q) => p - q));
    expect(Array.from(a.train.targets)).toEqual(ids(a.train).map((i) => i % 4));
    expect(() => split(ds, { holdout: 101 })).toThrow(DatasetError);
  });
});

describe('batches', () => {
  const ds = { count: 103 };
  const epoch = (seed: number, e: number, dropLast = false) =>
    Array.from(batches(ds, { batchSize: 10, seed, epoch: e, drop_last: dropLast }), (b) => Array.from(b));

  it('covers every index once per epoch', () => {
    const e0 = epoch(1, 0);
    expect(e0).toHaveLength(11);
    expect(e0.at(-1)).toHaveLength(3);
    expect(e0.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    const dropped = epoch(1, 0, true);
    expect(dropped).toHaveLength(10);
    expect(new Set(dropped.flat()).size).toBe(100);
    expect(numBatches(103, 10)).toBe(11);
    expect(numBatches(103, 10, true)).toBe(10);
  });

  it('is the same for the same (seed, epoch) and differs otherwise', () => {
    expect(epoch(1, 0)).toEqual(epoch(1, 0));
    expect(epoch(1, 1)).toEqual(epoch(1, 1));
    expect(epoch(1, 0)).not.toEqual(epoch(1, 1));
    expect(epoch(1, 0)).not.toEqual(epoch(2, 0));
    const ordered = Array.from(batches(ds, { batchSize: 50, shuffle: false }), (b) => Array.from(b));
    expect(ordered.flat()).toEqual(Array.from({ length: 103 }, (_, i) => i));
  });
});

describe('makeBatch', () => {
  const ds = synthetic(8);

  it('gives [B, R, R, 3] in [-1, 1], grey replicated, int32 targets', async () => {
    const { x, y } = makeBatch(ds, [0, 5, 2], { resolution: 12 });
    expect(x.shape).toEqual([3, 12, 12, 3]);
    expect(x.dtype).toBe('float32');
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.data())).toEqual([0, 1, 2]);
    const v = await x.data();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    const [r, g, b] = tf.split(x, 3, 3);
    expect(await maxAbsDiff(r, g)).toBe(0);
    expect(await maxAbsDiff(r, b)).toBe(0);
    tf.dispose([x, y, r, g, b]);
  });

  it('scales pixels exactly at the source resolution', async () => {
    const { x, y } = makeBatch(ds, [1], { resolution: [6, 5], channels: 1 });
    const want = Array.from(ds.images.subarray(30, 60), (p) => p / 127.5 - 1);
    const got = Array.from(await x.data());
    for (const [i, g] of got.entries()) expect(g).toBeCloseTo(want[i], 6);
    tf.dispose([x, y]);
  });

  it('flip mirrors the image left to right', async () => {
    // rng() = 0 < 0.5: always flip.
    const flipped = makeBatch(ds, [0, 3], { resolution: 11, augment: { flip: true }, rng: () => 0 });
    const plain = makeBatch(ds, [0, 3], { resolution: 11 });
    const manual = tf.reverse(plain.x, 2);
    expect(await maxAbsDiff(flipped.x, manual)).toBe(0);
    // rng() = 0.9: never flip.
    const kept = makeBatch(ds, [0, 3], { resolution: 11, augment: { flip: true }, rng: () => 0.9 });
    expect(await maxAbsDiff(kept.x, plain.x)).toBe(0);
    tf.dispose([flipped.x, flipped.y, plain.x, plain.y, manual, kept.x, kept.y]);
  });

  it('shift moves the content and pads with -1 or the edge', async () => {
    const src = Array.from(ds.images.subarray(0, 30), (p) => p / 127.5 - 1);
    // maxShift 2: floor(rng · 5) - 2; rng 0.99 → +2 rows down, then 0.3 → -1 column (left).
    const draws = [0.99, 0.3];
    let k = 0;
    const rng = () => draws[k++ % draws.length];
    for (const pad of ['zero', 'edge'] as const) {
      k = 0;
      const { x, y } = makeBatch(ds, [0], {
        resolution: [6, 5],
        channels: 1,
        augment: { maxShift: 2, pad },
        rng,
      });
      const got = await x.data();
      for (let r = 0; r < 6; r++)
        for (let q = 0; q < 5; q++) {
          const sr = r - 2;
          const sq = q + 1;
          const inside = sr >= 0 && sq < 5;
          const want = inside || pad === 'edge' ? src[Math.max(0, sr) * 5 + Math.min(4, sq)] : -1;
          expect(got[r * 5 + q]).toBeCloseTo(want, 6);
        }
      tf.dispose([x, y]);
    }
  });

  it('is deterministic given the rng and leaks no tensors', async () => {
    const opts = (seed: number) => ({
      resolution: 16,
      augment: { flip: true, maxShift: 2 },
      rng: seededRandom(seed),
    });
    const before = tf.memory().numTensors;
    const a = makeBatch(ds, [0, 1, 2, 3, 4, 5, 6, 7], opts(5));
    const b = makeBatch(ds, [0, 1, 2, 3, 4, 5, 6, 7], opts(5));
    const c = makeBatch(ds, [0, 1, 2, 3, 4, 5, 6, 7], opts(6));
    expect(await a.x.data()).toEqual(await b.x.data());
    expect(await a.x.data()).not.toEqual(await c.x.data());
    expect(tf.memory().numTensors).toBe(before + 6);
    tf.dispose([a.x, a.y, b.x, b.y, c.x, c.y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad arguments', () => {
    expect(() => makeBatch(ds, [8], { resolution: 8 })).toThrow(DatasetError);
    expect(() => makeBatch(ds, [0], { resolution: 0 })).toThrow(DatasetError);
    expect(() => makeBatch(ds, [0], { resolution: 8, augment: { flip: true } })).toThrow(/rng/);
    expect(() => makeBatch(ds, [0], { resolution: 8, augment: { maxShift: 1.5 }, rng: Math.random })).toThrow(
      DatasetError,
    );
  });
});
