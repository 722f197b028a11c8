import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig, mapCheckpoint, readCheckpoint, registerWasmKernels } from '@flexivit/core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdamW,
  crossEntropy,
  DEFAULT_FASHION_MNIST_DIR,
  evaluateModel,
  learningRate,
  loadFashionMnistDataset,
  loadRun,
  makeBatch,
  patchSizeAt,
  resolveConfig,
  subset,
  TrainableClassifier,
  train,
} from '../src';

const haveData = existsSync(DEFAULT_FASHION_MNIST_DIR);
if (!haveData)
  console.info(
    `Fashion-MNIST not found at ${DEFAULT_FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist): skipping data tests`,
  );
const tmp = mkdtempSync(join(tmpdir(), 'flexivit-train-'));

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmKernels();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('optimiser and schedule', () => {
  it('warm-up is linear, cosine reaches half the peak halfway and zero at the end', () => {
    const s = { peak: 1, warmupSteps: 10, totalSteps: 110 };
    expect(learningRate(s, 4)).toBeCloseTo(0.5, 12);
    expect(learningRate(s, 60)).toBeCloseTo(0.5, 12);
    expect(learningRate(s, 110)).toBeCloseTo(0, 12);
  });

  it('one AdamW step equals the closed form, with decoupled weight decay on kernels only', () => {
    const params = new Map([
      ['w.kernel', tf.variable(tf.tensor1d([2]))],
      ['w.bias', tf.variable(tf.tensor1d([2]))],
    ]);
    const opt = new AdamW({ weightDecay: 0.1 });
    opt.init(params);
    const g = tf.tensor1d([0.5]);
    opt.apply(params, { [params.get('w.kernel')!.name]: g, [params.get('w.bias')!.name]: g }, 0.01, 1);
    // Step 1: m̂ = g, v̂ = g², update = g/(|g| + eps) = 1 (+ wd·w for the kernel).
    expect(params.get('w.bias')!.dataSync()[0]).toBeCloseTo(2 - 0.01 * 1, 6);
    expect(params.get('w.kernel')!.dataSync()[0]).toBeCloseTo(2 - 0.01 * (1 + 0.1 * 2), 6);
    opt.dispose();
    tf.dispose([g, ...params.values()]);
  });
});

describe('gradients through PI-resize', () => {
  it('match central finite differences on the stored kernel (tiny model)', async () => {
    await tf.setBackend('cpu'); // float32 everywhere; small sizes
    const cfg = defineConfig({
      width: 8,
      depth: 1,
      heads: 2,
      mlpDim: 16,
      kernelSize: [8, 8],
      posembGrid: [2, 2],
      resolution: [12, 12],
    });
    const model = TrainableClassifier.init(cfg, 3, 1);
    // Non-zero head so the loss depends on the backbone.
    model.variables.get('head.kernel')!.assign(tf.randomNormal([8, 3], 0, 1, 'float32', 5));
    const x = tf.randomUniform([2, 12, 12, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.tensor1d([0, 2], 'int32');
    const kernel = model.variables.get('patch.kernel')!;
    for (const ps of [6, 12]) {
      const loss = () => crossEntropy(model.logits(x, ps, true), y);
      const { value, grads } = tf.variableGrads(loss, [kernel]);
      value.dispose();
      const g = grads[kernel.name].dataSync();
      const base = kernel.dataSync().slice();
      const eps = 1e-2;
      for (const i of [0, 37, 100, 511, 1500]) {
        const at = (delta: number) => {
          const v = base.slice();
          v[i] += delta;
          kernel.assign(tf.tensor(v, kernel.shape));
          return tf.tidy(() => loss().dataSync()[0]);
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        kernel.assign(tf.tensor(base, kernel.shape));
        expect(Math.abs(numeric - g[i])).toBeLessThan(2e-3 + 0.05 * Math.abs(g[i]));
      }
      tf.dispose(grads);
    }
    expect(
      tf.tidy(
        () =>
          tf
            .sum(
              tf.abs(
                tf.variableGrads(() => crossEntropy(model.logits(x, 4, true), y), [kernel]).grads[
                  kernel.name
                ],
              ),
            )
            .dataSync()[0],
      ),
    ).toBeGreaterThan(0);
    tf.dispose([x, y]);
    model.dispose();
    await tf.setBackend('wasm');
  });
});

describe.skipIf(!haveData)('training on Fashion-MNIST', () => {
  it('a smoke run (< 2 min) learns: loss drops at every patch size and held-out accuracy is far above chance', async () => {
    const full = await loadFashionMnistDataset(undefined, 'train');
    const data = subset(
      full,
      Array.from({ length: 12000 }, (_, i) => i),
    );
    const config = resolveConfig('smoke', { steps: 300, evalEvery: 300, checkpointEvery: 300 });
    const probe = makeBatch(
      data,
      Array.from({ length: 256 }, (_, i) => 11000 + i),
      { resolution: config.resolution },
    );
    const initial = TrainableClassifier.init(
      defineConfig({ ...config.model, resolution: [24, 24] }),
      10,
      config.seed,
    );
    const lossesAt = (m: TrainableClassifier) =>
      config.patchSizes.map((p) =>
        tf.tidy(() => crossEntropy(m.logits(probe.x, p, true), probe.y).dataSync()[0]),
      );
    const before = lossesAt(initial);
    initial.dispose();
    const t0 = performance.now();
    const { model, record, holdout } = await train(config, { train: data, progress: null, log: () => {} });
    expect((performance.now() - t0) / 1000).toBeLessThan(120);
    const after = lossesAt(model);
    for (let i = 0; i < before.length; i++)
      expect(after[i], `patch ${config.patchSizes[i]}`).toBeLessThan(before[i] - 0.5);
    const results = await evaluateModel(model, holdout, {
      patchSizes: config.patchSizes,
      resolution: config.resolution,
    });
    for (const r of results) expect(r.accuracy, `patch ${r.patchSize}`).toBeGreaterThan(0.35); // chance is 0.1
    expect(record.evals.at(-1)!.results.length).toBe(config.patchSizes.length);
    tf.dispose([probe.x, probe.y]);
    model.dispose();
  }, 180_000);

  it('save → load gives identical logits (npz and web format); resume continues the schedule exactly', async () => {
    const full = await loadFashionMnistDataset(undefined, 'train');
    const data = subset(
      full,
      Array.from({ length: 3000 }, (_, i) => i),
    );
    const config = resolveConfig('smoke', { steps: 24, evalEvery: 1000, checkpointEvery: 8, holdout: 200 });
    const straight = await train(config, { train: data, out: join(tmp, 'a'), progress: null, log: () => {} });
    const stopped = await train(config, {
      train: data,
      out: join(tmp, 'b'),
      stopAt: 12,
      progress: null,
      log: () => {},
    });
    expect(stopped.record.step).toBe(12);
    stopped.model.dispose();
    const resumed = await train(config, { train: data, out: join(tmp, 'b'), progress: null, log: () => {} });
    expect(resumed.record.step).toBe(24);
    // Same patch sizes, learning rates and weights as the uninterrupted run.
    expect(resumed.record.history.map((h) => [h.step, h.lr, h.patchSize])).toEqual(
      straight.record.history.map((h) => [h.step, h.lr, h.patchSize]),
    );
    expect(Array.from({ length: 24 }, (_, s) => patchSizeAt(config, s))).toEqual(
      Array.from({ length: 24 }, (_, s) => patchSizeAt(config, s)),
    );
    for (const [name, v] of straight.model.variables) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(v, resumed.model.variables.get(name)!))).dataSync()[0]);
      expect(diff, name).toBeLessThan(1e-6);
    }
    // Reload what was saved, in both formats.
    const x = makeBatch(data, [0, 1, 2, 3], { resolution: config.resolution }).x;
    const saved = await loadRun(join(tmp, 'a'));
    const web = TrainableClassifier.fromCheckpoint(
      mapCheckpoint(await readCheckpoint(join(tmp, 'a', 'web', 'model.json'))),
    );
    for (const p of [4, 8, 12]) {
      const ref = tf.tidy(() => straight.model.logits(x, p, false).dataSync());
      straight.model.backbone.clearCache();
      for (const other of [saved!.model, web]) {
        const got = tf.tidy(() => other.logits(x, p, false).dataSync());
        expect(Array.from(got)).toEqual(Array.from(ref));
      }
    }
    tf.dispose(x);
    for (const m of [straight.model, resumed.model, saved!.model, web]) m.dispose();
  }, 180_000);
});
