import { createFlexiViT, paramsToHost, type RawCheckpoint, toBigVision } from '@flexivit/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClassifierHead, FlexiViTClassifier, IMAGENET1K_LABELS, load, resolveLabels } from '../src';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cfg = {
  width: 16,
  depth: 1,
  heads: 2,
  mlpDim: 32,
  kernelSize: [4, 4] as [number, number],
  posembGrid: [2, 2] as [number, number],
  resolution: [16, 16] as [number, number],
  patchSize: [4, 4] as [number, number],
};

/** A big_vision checkpoint with a known head: kernel[d][c] = (d === c ? 1 : 0) · (c + 1), bias c / 10. */
async function checkpoint(pool: 'tok' | 'gap', classes: number): Promise<RawCheckpoint> {
  const backbone = createFlexiViT({ ...cfg, pool }, 7);
  const host = await paramsToHost(backbone.params);
  backbone.dispose();
  const kernel = new Float32Array(16 * classes);
  for (let d = 0; d < 16; d++)
    for (let c = 0; c < classes; c++) kernel[d * classes + c] = d === c ? c + 1 : 0;
  const bias = Float32Array.from({ length: classes }, (_, c) => c / 10);
  return toBigVision(host, backbone.config, {
    'head/kernel': { shape: [16, classes], data: kernel },
    'head/bias': { shape: [classes], data: bias },
  });
}

const image = () =>
  tf.tidy(() => tf.mul(tf.randomUniform([16, 16, 3], 0, 1, 'float32', 3), 255)) as tf.Tensor3D;

describe('classifier', () => {
  it('logits = pooled · W + b, scores are the softmax, top-k sorted with labels', async () => {
    const model = await load(await checkpoint('tok', 5), { labels: ['a', 'b', 'c', 'd', 'e'] });
    const img = image();
    const { logits, preLogits } = await model.logitsAndPreLogits(img, { resolution: 16 });
    const pre = await preLogits.data();
    const expected = Array.from({ length: 5 }, (_, c) => pre[c] * (c + 1) + c / 10);
    const got = await logits.data();
    for (let c = 0; c < 5; c++) expect(got[c]).toBeCloseTo(expected[c], 5);
    const top = await model.classify(img, { topK: 3, resolution: 16 });
    const z = expected.reduce((s, v) => s + Math.exp(v), 0);
    const ranked = expected
      .map((v, c) => ({ label: 'abcde'[c], score: Math.exp(v) / z }))
      .sort((a, b) => b.score - a.score);
    expect(top.map((t) => t.label)).toEqual(ranked.slice(0, 3).map((t) => t.label));
    for (let i = 0; i < 3; i++) expect(top[i].score).toBeCloseTo(ranked[i].score, 5);
    const batch = await model.classify([img, img], { topK: 2, resolution: 16 });
    expect(batch).toHaveLength(2);
    expect(batch[1][0].label).toBe(top[0].label);
    tf.dispose([img, logits, preLogits]);
    model.dispose();
  });

  it('the class map averaged over tokens equals the logits of gap pooling (the head is linear)', async () => {
    const model = await load(await checkpoint('gap', 4));
    expect(model.labels).toEqual(['class_0', 'class_1', 'class_2', 'class_3']);
    const img = image();
    const map = await model.classMap(img, { patchSize: 2, resolution: 16 });
    expect(map.shape).toEqual([1, 8, 8, 4]);
    const logits = await model.logits(img, { patchSize: 2, resolution: 16 });
    const mean = tf.tidy(() => tf.mean(map, [1, 2]));
    const [a, b] = [await mean.data(), await logits.data()];
    for (let c = 0; c < 4; c++) expect(a[c]).toBeCloseTo(b[c], 5);
    tf.dispose([img, map, logits, mean]);
    model.dispose();
  });

  it('sigmoid scores for 21843-class heads, ImageNet names for 1000 classes', async () => {
    const big = await load(await checkpoint('tok', 21843));
    expect(big.activation).toBe('sigmoid');
    const img = image();
    const [first] = await big.classify(img, { topK: 1, resolution: 16 });
    const logits = await big.logits(img, { resolution: 16 });
    const max = Math.max(...(await logits.data()));
    expect(first.score).toBeCloseTo(1 / (1 + Math.exp(-max)), 6);
    logits.dispose();
    big.dispose();
    img.dispose();
    expect(resolveLabels(undefined, 1000)).toBe(IMAGENET1K_LABELS);
    expect(IMAGENET1K_LABELS[207]).toBe('golden retriever');
  });

  it('rejects bad labels, top-k and heads that do not fit, without leaking tensors', async () => {
    const ckpt = await checkpoint('tok', 3);
    const before = tf.memory().numTensors;
    await expect(load(ckpt, { labels: ['x', 'y'] })).rejects.toThrow(/3 classes but 2 labels/);
    await expect(load(ckpt, { labels: 'nope' })).rejects.toThrow(/Unknown label set/);
    const noHead = new Map(ckpt);
    noHead.delete('params/head/kernel');
    await expect(load(noHead)).rejects.toThrow(/head\/kernel/);
    expect(tf.memory().numTensors).toBe(before);
    const model = await load(ckpt);
    const img = image();
    await expect(model.classify(img, { topK: 0 })).rejects.toThrow(/topK/);
    const base = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await model.classify(img, { patchSize: [2, 4, 8][i % 3], resolution: 16 });
    await model.classify(img, { patchSize: 4, resolution: 16 });
    const warm = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) await model.classify(img, { patchSize: [2, 4, 8][i % 3], resolution: 16 });
    expect(tf.memory().numTensors).toBe(warm);
    expect(warm).toBeGreaterThanOrEqual(base);
    expect(
      () => new FlexiViTClassifier(model.backbone, new ClassifierHead(tf.zeros([8, 3]), tf.zeros([3]))),
    ).toThrow(/width 8/);
    img.dispose();
    model.dispose();
  });
});
