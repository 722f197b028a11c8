/**
 * @flexivit/train — training FlexiViT with TensorFlow.js.
 *   data/    datasets (Fashion-MNIST), splitting, deterministic batching and augmentation
 *   optim/   AdamW with decoupled weight decay, warm-up + cosine schedule
 *   train/   the random-patch-size training loop, evaluation, checkpoints with resume
 */
import './gradients';

export * from './data/dataset';
export * from './data/errors';
export * from './data/fashion-mnist';
export { AdamW, type AdamWOptions } from './optim/adamw';
export { learningRate, type Schedule } from './optim/schedule';
export { loadRun, type RunRecord, saveRun } from './train/checkpoint';
export { PRESETS, resolveConfig, type TrainConfig } from './train/config';
export { type EvalResult, evaluate, evaluateModel, type LogitsFn } from './train/evaluate';
export { patchSizeAt, type TrainOptions, type TrainResult, train } from './train/loop';
export { crossEntropy, distillation } from './train/loss';
export { TrainableClassifier } from './train/model';
export { Progress } from './train/progress';
