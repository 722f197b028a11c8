import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type FlexiViTError } from '../src/errors';
import { patchify } from '../src/model/flexivit';
import { gelu, layerNorm } from '../src/model/layers';
import { createFlexiViT } from '../src/model/load';
import { useCpu } from './setup';
import '@tensorflow/tfjs-core/dist/register_all_gradients';

beforeAll(useCpu);

const small = {
  width: 32,
  depth: 2,
  heads: 4,
  mlpDim: 64,
  kernelSize: [8, 8] as [number, number],
  posembGrid: [4, 4] as [number, number],
  resolution: [48, 48] as [number, number],
  patchSize: [8, 8] as [number, number],
};

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('building blocks', () => {
  it('patchify equals a stride-p VALID conv2d with the same HWIO kernel', () => {
    const x = tf.randomNormal([2, 24, 36, 3]) as tf.Tensor4D;
    const k = tf.randomNormal([6, 4, 3, 5]) as tf.Tensor4D;
    const b = tf.randomNormal([5]) as tf.Tensor1D;
    const ours = patchify(x, k, b);
    const conv = tf.tidy(() => tf.reshape(tf.add(tf.conv2d(x, k, [6, 4], 'valid'), b), [2, 4 * 9, 5]));
    expect(maxAbs(ours.dataSync(), conv.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, k, b, ours, conv]);
  });

  it('GELU forms match their closed forms at known points', () => {
    const x = tf.tensor1d([-3, -1, 0, 0.5, 2]);
    // Exact: x·Φ(x), Φ from the error function's tabulated values.
    const exact = [-0.0040496, -0.1586553, 0, 0.3457312, 1.9544997];
    const tanh = [-0.0036374, -0.158808, 0, 0.345714, 1.9545977];
    expect(maxAbs(gelu(x, 'erf').dataSync(), exact)).toBeLessThan(1e-5);
    expect(maxAbs(gelu(x, 'tanh').dataSync(), tanh)).toBeLessThan(1e-5);
    x.dispose();
  });

  it('LayerNorm gives zero mean, unit variance rows (then scale and bias)', () => {
    const x = tf.tensor2d([
      [1, 2, 3, 4],
      [10, 10, 10, 14],
    ]);
    const y = layerNorm(x, { scale: tf.ones([4]) as tf.Tensor1D, bias: tf.zeros([4]) as tf.Tensor1D }, 1e-6);
    const rows = y.arraySync() as number[][];
    for (const r of rows) {
      const mean = r.reduce((a, b) => a + b) / 4;
      const v = r.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
      expect(mean).toBeCloseTo(0, 5);
      expect(v).toBeCloseTo(1, 4);
    }
  });
});

describe('FlexiViT', () => {
  it('encodes at every patch size that divides the input, square and not', () => {
    const m = createFlexiViT(small, 1);
    const x = tf.randomNormal([2, 48, 48, 3]) as tf.Tensor4D;
    for (const p of [2, 3, 4, 6, 8, 12, 16, 24, 48]) {
      const f = m.forward(x, { patchSize: p });
      expect(f.tokens.shape).toEqual([2, (48 / p) ** 2, 32]);
      expect(f.prefix.shape).toEqual([2, 1, 32]);
      expect(f.pooled!.shape).toEqual([2, 32]);
      expect(f.grid).toEqual([48 / p, 48 / p]);
      f.dispose();
    }
    const wide = tf.randomNormal([1, 48, 72, 3]) as tf.Tensor4D;
    const f = m.forward(wide, { patchSize: [12, 8] });
    expect(f.grid).toEqual([4, 9]);
    expect(f.tokens.shape).toEqual([1, 36, 32]);
    f.dispose();
    tf.dispose([x, wide]);
    m.dispose();
  });

  it('rejects patch sizes that do not divide the input with a typed error listing valid ones', () => {
    const m = createFlexiViT(small, 1);
    const x = tf.zeros([1, 48, 48, 3]) as tf.Tensor4D;
    expect(() => m.forward(x, { patchSize: 7 })).toThrow(ConfigError);
    try {
      m.forward(x, { patchSize: 7 });
    } catch (e) {
      expect((e as FlexiViTError).code).toBe('PATCH_SIZE_INVALID');
      expect((e as Error).message).toMatch(/1, 2, 3, 4, 6, 8, 12, 16, 24, 48/);
    }
    expect(() => m.forward(x, { patchSize: 0 })).toThrow(/Invalid patch size/);
    expect(() => m.forward(tf.zeros([1, 48, 48]) as unknown as tf.Tensor4D)).toThrow(/expects images/);
    x.dispose();
    m.dispose();
    expect(() => m.forward(x)).toThrow(/disposed/);
  });

  it('images are batch-independent: encoding a batch equals encoding each image', () => {
    const m = createFlexiViT({ ...small, pool: 'map' }, 2);
    const x = tf.randomNormal([3, 48, 48, 3]) as tf.Tensor4D;
    const all = m.forward(x, { patchSize: 6 });
    const one = m.forward(tf.slice(x, [1, 0, 0, 0], [1, 48, 48, 3]), { patchSize: 6 });
    const row = tf.slice(all.pooled!, [1, 0], [1, 32]);
    expect(maxAbs(row.dataSync(), one.pooled!.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, row]);
    all.dispose();
    one.dispose();
    m.dispose();
  });

  it('frees every tensor it owns on dispose; caches are bounded by the sizes used', () => {
    const start = tf.memory().numTensors;
    const m = createFlexiViT(small, 3);
    const x = tf.randomNormal([1, 48, 48, 3]) as tf.Tensor4D;
    for (let i = 0; i < 20; i++) m.forward(x, { patchSize: [4, 8, 16][i % 3] }).dispose();
    const warm = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) m.forward(x, { patchSize: [4, 8, 16][i % 3], training: true }).dispose();
    expect(tf.memory().numTensors).toBe(warm);
    m.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('training mode sends gradients through PI-resize to the stored kernel and pos-emb', () => {
    const m = createFlexiViT(small, 4);
    const x = tf.randomNormal([2, 48, 48, 3]) as tf.Tensor4D;
    const vars = [m.params.patch.kernel, m.params.posemb];
    const grads = tf.grads((k: tf.Tensor, pe: tf.Tensor) => {
      const saved = { k: m.params.patch.kernel, pe: m.params.posemb };
      m.params.patch.kernel = k as tf.Tensor4D;
      m.params.posemb = pe as tf.Tensor2D;
      try {
        const f = m.forward(x, { patchSize: 12, training: true });
        return tf.sum(tf.square(f.pooled!));
      } finally {
        m.params.patch.kernel = saved.k;
        m.params.posemb = saved.pe;
      }
    })(vars);
    expect(grads[0].shape).toEqual([8, 8, 3, 32]);
    expect(grads[1].shape).toEqual([16, 32]);
    expect(tf.tidy(() => tf.sum(tf.abs(grads[0])).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([x, ...grads]);
    m.dispose();
  });
});
