/** Image classification with a FlexiViT backbone, at any patch size. */
import {
  type CheckpointSource,
  type EncodeOptions,
  type FlexiViT,
  FlexiViTError,
  type ImageInput,
  type LoadOptions,
  loadBackbone,
  type RawCheckpoint,
} from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import { ClassifierHead } from './head';
import { resolveLabels } from './labels';

/** One prediction, as transformers.js' image-classification pipeline returns it. */
export interface Classification {
  label: string;
  score: number;
}

export type Activation = 'softmax' | 'sigmoid';

export interface ClassifierLoadOptions extends LoadOptions {
  /** Class names, or a shipped set's name (`imagenet1k`). Default: ImageNet-1k for 1000 classes, else `class_i`. */
  labels?: readonly string[] | string;
  /** Scores from logits. Default: sigmoid for 21843-class (ImageNet-21k, sigmoid-trained) heads, else softmax. */
  activation?: Activation;
}

export interface ClassifyOptions extends EncodeOptions {
  /** How many top classes to return (default 5). */
  topK?: number;
}

export class FlexiViTClassifier {
  readonly backbone: FlexiViT;
  readonly head: ClassifierHead;
  readonly labels: readonly string[];
  readonly activation: Activation;

  constructor(
    backbone: FlexiViT,
    head: ClassifierHead,
    options: { labels?: readonly string[] | string; activation?: Activation } = {},
  ) {
    if (head.width !== backbone.config.width) {
      throw new FlexiViTError(
        'CHECKPOINT_SHAPE_MISMATCH',
        `Head width ${head.width} does not match the backbone width ${backbone.config.width}.`,
      );
    }
    this.backbone = backbone;
    this.head = head;
    this.labels = resolveLabels(options.labels, head.numClasses);
    this.activation = options.activation ?? (head.numClasses === 21843 ? 'sigmoid' : 'softmax');
  }

  /** Logits [B, C] for images (any ImageInput; pixel tensors in 0..255). */
  async logits(images: ImageInput | ImageInput[], options: EncodeOptions = {}): Promise<tf.Tensor2D> {
    const features = await this.backbone.encode(images, options);
    try {
      return this.head.logits(features);
    } finally {
      features.dispose();
    }
  }

  /** Logits and the pooled pre-logits for the same images: [B, C] and [B, D]. */
  async logitsAndPreLogits(
    images: ImageInput | ImageInput[],
    options: EncodeOptions = {},
  ): Promise<{ logits: tf.Tensor2D; preLogits: tf.Tensor2D }> {
    const features = await this.backbone.encode(images, options);
    const logits = this.head.logits(features);
    const preLogits = features.pooled!;
    features.tokens.dispose();
    features.prefix.dispose();
    return { logits, preLogits };
  }

  /** Per-token class logits [B, gh, gw, C] (big_vision `logits_2d`). */
  async classMap(images: ImageInput | ImageInput[], options: EncodeOptions = {}): Promise<tf.Tensor4D> {
    const features = await this.backbone.encode(images, options);
    try {
      return this.head.classMap(features);
    } finally {
      features.dispose();
    }
  }

  /** Scores (softmax or sigmoid) [B, C]. */
  scores(logits: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => (this.activation === 'sigmoid' ? tf.sigmoid(logits) : tf.softmax(logits)));
  }

  /** Top-k `{ label, score }` per image: one list for one image, a list of lists for an array. */
  async classify(images: ImageInput, options?: ClassifyOptions): Promise<Classification[]>;
  async classify(images: ImageInput[], options?: ClassifyOptions): Promise<Classification[][]>;
  async classify(
    images: ImageInput | ImageInput[],
    options: ClassifyOptions = {},
  ): Promise<Classification[] | Classification[][]> {
    const topK = options.topK ?? 5;
    if (!Number.isInteger(topK) || topK < 1) {
      throw new FlexiViTError('ARGUMENT_INVALID', `topK must be a positive integer, got ${topK}.`);
    }
    const logits = await this.logits(images, options);
    const scores = this.scores(logits);
    logits.dispose();
    const k = Math.min(topK, this.labels.length);
    const { values, indices } = tf.topk(scores, k);
    scores.dispose();
    const [v, i] = [await values.array(), await indices.array()];
    values.dispose();
    indices.dispose();
    const lists = v.map((row, b) => row.map((score, j) => ({ label: this.labels[i[b][j]], score })));
    return Array.isArray(images) ? lists : lists[0];
  }

  dispose(): void {
    this.backbone.dispose();
    this.head.dispose();
  }
}

/** Load a classifier (encoder + head) from one checkpoint. */
export async function load(
  source: CheckpointSource | RawCheckpoint,
  options: ClassifierLoadOptions = {},
): Promise<FlexiViTClassifier> {
  const { model, rest, layout } = await loadBackbone(source, options);
  let head: ClassifierHead | undefined;
  try {
    head = ClassifierHead.fromCheckpoint(rest, layout, model.config.width);
    return new FlexiViTClassifier(model, head, options);
  } catch (err) {
    head?.dispose();
    model.dispose();
    throw err;
  }
}
