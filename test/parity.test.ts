/**
 * Parity with an independent implementation: timm's FlexiViT (big_vision loader) computed these
 * logits, pre-logits and PI-resized kernels from the same checkpoint and image.
 */
import { useBackend } from '@flexivit/backend-node';
import { type FlexiViTClassifier, load } from '@flexivit/classifier';
import { readCheckpoint, resizePatchEmbedding } from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPECTED, maxAbsDiff, PARITY_IMAGE, PARITY_NPZ } from './helpers';

let model: FlexiViTClassifier;

beforeAll(async () => {
  await useBackend();
  model = await load(PARITY_NPZ);
});
afterAll(() => model?.dispose());

describe('parity with timm on the fixture checkpoint', () => {
  it('infers the config from the checkpoint shapes', () => {
    const cfg = model.backbone.config;
    expect([cfg.width, cfg.depth, cfg.heads, cfg.mlpDim]).toEqual([
      EXPECTED.width,
      EXPECTED.depth,
      EXPECTED.heads,
      EXPECTED.mlp_dim,
    ]);
    expect(model.head.numClasses).toBe(EXPECTED.classes);
    expect(cfg.resolution).toEqual([EXPECTED.resolution, EXPECTED.resolution]);
  });

  it.each(Object.keys(EXPECTED.logits).map(Number))(
    'patch %i: logits and pre-logits within 1e-4',
    async (ps) => {
      const { logits, preLogits } = await model.logitsAndPreLogits(PARITY_IMAGE, { patchSize: ps });
      const l = await logits.data();
      const p = await preLogits.data();
      tf.dispose([logits, preLogits]);
      expect(maxAbsDiff(l, EXPECTED.logits[ps])).toBeLessThan(1e-4);
      expect(maxAbsDiff(p, EXPECTED.pre_logits[ps])).toBeLessThan(1e-4);
    },
  );

  it.each(Object.keys(EXPECTED.pi_resize).map(Number))(
    'PI-resize of kernel[:, :, 0, 0] to %i within 1e-5',
    async (size) => {
      const raw = await readCheckpoint(PARITY_NPZ);
      const k = raw.get('params/embedding/kernel')!;
      const kernel = tf.tensor4d(k.data as Float32Array, k.shape as [number, number, number, number]);
      const resized = resizePatchEmbedding(kernel, size);
      const slice = tf.tidy(() =>
        tf.reshape(tf.slice(resized, [0, 0, 0, 0], [size, size, 1, 1]), [size * size]),
      );
      const got = await slice.data();
      tf.dispose([kernel, resized, slice]);
      expect(maxAbsDiff(got, EXPECTED.pi_resize[size].flat())).toBeLessThan(1e-5);
    },
  );
});

describe('memory', () => {
  it('tf.memory().numTensors does not grow over 50 encode calls at changing patch sizes', async () => {
    const sizes = [8, 10, 12, 15, 16, 20, 24, 30, 40, 48];
    const run = async (p: number) => {
      const features = await model.backbone.encode(PARITY_IMAGE, { patchSize: p });
      features.dispose();
    };
    for (const p of sizes) await run(p); // fill the per-size caches
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) await run(sizes[(i * 7) % sizes.length]);
    expect(tf.memory().numTensors).toBe(before);
    // classify() cleans up too, and clearing the caches returns their tensors.
    await model.classify(PARITY_IMAGE, { patchSize: 16 });
    expect(tf.memory().numTensors).toBe(before);
    model.backbone.clearCache();
    expect(tf.memory().numTensors).toBe(before - 2 * sizes.length);
  });
});
