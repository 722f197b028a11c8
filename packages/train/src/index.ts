/**
 * @flexivit/train — training FlexiViT with TensorFlow.js.
 *   data/   datasets (Fashion-MNIST), splitting, deterministic batching and augmentation
 */
export * from './data/dataset';
export * from './data/errors';
export * from './data/fashion-mnist';
