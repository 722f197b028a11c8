/**
 * FlexiViT training: one set of weights, a random patch size every step (uniform over a list, as
 * the paper), the stored kernel and position embedding resized inside the gradient, AdamW with
 * warm-up + cosine, global-norm clipping, label smoothing, optional distillation. Deterministic
 * for a seed; resumable from its folder at any checkpoint.
 */
import { defineConfig, mapCheckpoint, readCheckpoint, seededRandom } from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import '../gradients';
import { batches, type ImageDataset, makeBatch, mixSeed, numBatches, split } from '../data/dataset';
import { FASHION_MNIST_LABELS, loadFashionMnistDataset } from '../data/fashion-mnist';
import { AdamW } from '../optim/adamw';
import { learningRate } from '../optim/schedule';
import { loadRun, type RunRecord, saveRun } from './checkpoint';
import type { TrainConfig } from './config';
import { evaluateModel } from './evaluate';
import { crossEntropy, distillation } from './loss';
import { TrainableClassifier } from './model';
import { Progress } from './progress';

export interface TrainOptions {
  /** Run folder: checkpoints, web export and run.json. Omit to train in memory only. */
  out?: string;
  /** Fashion-MNIST folder (default: Debian's). Ignored when `train` is given. */
  dataDir?: string;
  /** A dataset to train on instead of Fashion-MNIST's training split. */
  train?: ImageDataset;
  /** Continue from `out` if it holds a run (default true). */
  resume?: boolean;
  /** Stop after this step (to test resume); the schedule still spans `config.steps`. */
  stopAt?: number;
  progress?: Progress | null;
  log?: (line: string) => void;
}

export interface TrainResult {
  model: TrainableClassifier;
  record: RunRecord;
  holdout: ImageDataset;
}

/** The patch size for `step`: a pure function of (seed, step), so resumed runs draw the same. */
export function patchSizeAt(config: TrainConfig, step: number): number {
  const sizes = config.patchSizes;
  const weights = config.patchSizeWeights ?? sizes.map(() => 1);
  const total = weights.reduce((a, b) => a + b, 0);
  let u = seededRandom(mixSeed(config.seed, step, 7))() * total;
  for (let i = 0; i < sizes.length; i++) {
    u -= weights[i];
    if (u < 0) return sizes[i];
  }
  return sizes[sizes.length - 1];
}

export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const full = options.train ?? (await loadFashionMnistDataset(options.dataDir, 'train'));
  const { train: trainSet, holdout } = split(full, { holdout: config.holdout, seed: config.seed });
  const modelConfig = defineConfig({
    ...config.model,
    resolution: [config.resolution, config.resolution],
    patchSize: [config.patchSizes[0], config.patchSizes[0]],
    channels: 3,
  });

  const resumed = options.out && options.resume !== false ? await loadRun(options.out) : null;
  const model = resumed?.model ?? TrainableClassifier.init(modelConfig, full.numClasses, config.seed);
  const record: RunRecord = resumed?.record ?? {
    config,
    step: 0,
    labels: full.labels.length ? [...full.labels] : [...FASHION_MNIST_LABELS],
    history: [],
    evals: [],
    seconds: 0,
  };
  if (resumed) log(`resuming ${options.out} at step ${record.step}/${config.steps}`);
  const optimizer = new AdamW({ weightDecay: config.weightDecay, clipNorm: config.clipNorm });
  optimizer.init(model.variables, resumed?.moments);

  const teacher = config.distill
    ? TrainableClassifier.fromCheckpoint(mapCheckpoint(await readCheckpoint(config.distill.teacher)))
    : null;
  const perEpoch = numBatches(trainSet.count, config.batchSize, true);
  let epochBatches: Int32Array[] = [];
  let epochLoaded = -1;
  const progress = options.progress === undefined ? new Progress(config.steps) : options.progress;
  const schedule = { peak: config.lr, warmupSteps: config.warmupSteps, totalSteps: config.steps };
  const stopAt = Math.min(options.stopAt ?? config.steps, config.steps);
  let windowLoss = 0;
  let windowCount = 0;
  let windowStart = performance.now();
  const runStart = performance.now() - record.seconds * 1000;

  const save = async () => {
    record.seconds = (performance.now() - runStart) / 1000;
    if (options.out) await saveRun(options.out, model, optimizer, record);
  };

  try {
    for (let step = record.step; step < stopAt; step++) {
      const epoch = Math.floor(step / perEpoch);
      if (epoch !== epochLoaded) {
        epochBatches = [
          ...batches(trainSet, {
            batchSize: config.batchSize,
            shuffle: true,
            seed: config.seed,
            epoch,
            drop_last: true,
          }),
        ];
        epochLoaded = epoch;
      }
      const ps = patchSizeAt(config, step);
      const rng = seededRandom(mixSeed(config.seed, step, 13));
      const { x, y } = makeBatch(trainSet, epochBatches[step % perEpoch], {
        resolution: config.resolution,
        augment: config.augment,
        rng,
      });
      const lr = learningRate(schedule, step);
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.logits(x, ps, true);
        let loss = crossEntropy(logits, y, config.labelSmoothing);
        if (teacher && config.distill) {
          const t = teacher.logits(x, teacher.config.patchSize[0], false);
          const { weight, temperature } = config.distill;
          loss = tf.add(
            tf.mul(loss, 1 - weight),
            tf.mul(distillation(logits, t, temperature), weight),
          ) as tf.Scalar;
        }
        return loss;
      });
      optimizer.apply(model.variables, grads, lr, step + 1);
      const loss = (await value.data())[0];
      tf.dispose([x, y, value, grads]);
      if (!Number.isFinite(loss))
        throw new Error(`The loss became ${loss} at step ${step} (patch ${ps}); lower lr or check the data.`);
      windowLoss += loss;
      windowCount++;
      record.step = step + 1;
      const elapsed = (performance.now() - windowStart) / 1000;
      const imgPerSec = (windowCount * config.batchSize) / Math.max(elapsed, 1e-9);
      if (record.step % 10 === 0 || record.step === config.steps) {
        record.history.push({
          step: record.step,
          loss: windowLoss / windowCount,
          lr,
          patchSize: ps,
          imgPerSec,
        });
        windowLoss = 0;
        windowCount = 0;
        windowStart = performance.now();
      }
      const total = (performance.now() - runStart) / 1000;
      progress?.update(record.step, {
        loss,
        lr,
        patchSize: ps,
        imgPerSec,
        etaSeconds: (total / record.step) * (config.steps - record.step),
      });
      if (record.step % config.evalEvery === 0 || record.step === config.steps) {
        const results = await evaluateModel(model, holdout, {
          patchSizes: config.evalPatchSizes,
          resolution: config.resolution,
        });
        record.evals.push({ step: record.step, results });
        progress?.message(
          `step ${record.step}: holdout accuracy ${results.map((r) => `ps${r.patchSize} ${(100 * r.accuracy).toFixed(1)}%`).join(', ')}`,
        );
      }
      if (record.step % config.checkpointEvery === 0 || record.step === stopAt) await save();
    }
  } finally {
    optimizer.dispose();
    teacher?.dispose();
  }
  return { model, record, holdout };
}
