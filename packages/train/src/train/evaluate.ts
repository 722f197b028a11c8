/** Accuracy at every patch size over a dataset, with throughput. */
import * as tf from '@tensorflow/tfjs-core';
import { batches, type ImageDataset, makeBatch } from '../data/dataset';
import type { TrainableClassifier } from './model';

export interface EvalResult {
  patchSize: number;
  accuracy: number;
  count: number;
  imgPerSec: number;
}

/** Anything that maps a batch of images [B, R, R, 3] in [-1, 1] to logits at a patch size. */
export type LogitsFn = (x: tf.Tensor4D, patchSize: number) => tf.Tensor2D;

export async function evaluate(
  logits: LogitsFn,
  data: ImageDataset,
  options: { patchSizes: number[]; resolution: number; batchSize?: number; limit?: number },
): Promise<EvalResult[]> {
  const count = Math.min(options.limit ?? data.count, data.count);
  const results: EvalResult[] = [];
  for (const p of options.patchSizes) {
    let correct = 0;
    let seen = 0;
    const t0 = performance.now();
    for (const idx of batches({ count }, { batchSize: options.batchSize ?? 250, shuffle: false })) {
      const { x, y } = makeBatch(data, idx, { resolution: options.resolution });
      const pred = tf.tidy(() => tf.argMax(logits(x, p), 1));
      const eq = tf.tidy(() => tf.sum(tf.cast(tf.equal(pred, tf.cast(y, 'int32')), 'int32')));
      correct += (await eq.data())[0];
      seen += idx.length;
      tf.dispose([x, y, pred, eq]);
    }
    const seconds = (performance.now() - t0) / 1000;
    results.push({ patchSize: p, accuracy: correct / seen, count: seen, imgPerSec: seen / seconds });
  }
  return results;
}

/** Evaluate a model being trained (weights as they are now). */
export function evaluateModel(
  model: TrainableClassifier,
  data: ImageDataset,
  options: {
    patchSizes: number[];
    resolution: number;
    batchSize?: number;
    limit?: number;
    resize?: 'pi' | 'bilinear';
  },
): Promise<EvalResult[]> {
  // The per-size caches hold kernels resized from earlier weights: start and end clean.
  model.backbone.clearCache();
  return evaluate((x, p) => model.logits(x, p, false, options.resize ?? 'pi'), data, options).finally(() =>
    model.backbone.clearCache(),
  );
}
