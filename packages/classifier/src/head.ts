/**
 * The classification head: one Dense layer on the pooled features (big_vision `head`), and the
 * same layer on every patch token for a per-token class map (big_vision `logits_2d`).
 */
import {
  CheckpointError,
  type Features,
  type HostArray,
  type Layout,
  linearKernel,
  type RawCheckpoint,
  takeArray,
} from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';

/** Where each layout keeps the head, and whether its kernel is [out, in] (torch) or [in, out]. */
const HEAD_NAMES: Record<Layout, { kernel: string; bias: string; torch: boolean }> = {
  bigvision: { kernel: 'head/kernel', bias: 'head/bias', torch: false },
  timm: { kernel: 'head.weight', bias: 'head.bias', torch: true },
  hf: { kernel: 'classifier.weight', bias: 'classifier.bias', torch: true },
};

export class ClassifierHead {
  readonly kernel: tf.Tensor2D;
  readonly bias: tf.Tensor1D;

  constructor(kernel: tf.Tensor2D, bias: tf.Tensor1D) {
    if (bias.shape[0] !== kernel.shape[1]) {
      throw new CheckpointError(
        'CHECKPOINT_SHAPE_MISMATCH',
        `Head bias has ${bias.shape[0]} classes but the kernel ${kernel.shape[1]}.`,
      );
    }
    this.kernel = kernel;
    this.bias = bias;
  }

  get numClasses(): number {
    return this.kernel.shape[1];
  }

  get width(): number {
    return this.kernel.shape[0];
  }

  /** Read the head from the entries the backbone left (`Backbone.rest`). */
  static fromCheckpoint(rest: RawCheckpoint, layout: Layout, width: number): ClassifierHead {
    const names = HEAD_NAMES[layout];
    let kernel: HostArray = takeArray(
      rest,
      names.kernel,
      names.torch ? [null, width] : [width, null],
      layout,
    );
    if (names.torch) kernel = linearKernel(kernel);
    const bias = takeArray(rest, names.bias, [kernel.shape[1]], layout);
    return new ClassifierHead(
      tf.tensor2d(kernel.data, kernel.shape as [number, number]),
      tf.tensor1d(bias.data),
    );
  }

  /** Logits [B, C] from pooled features. */
  logits(features: Features): tf.Tensor2D {
    if (!features.pooled) {
      throw new CheckpointError(
        'CONFIG_INVALID',
        'The backbone has pool "none": there are no pooled features to classify.',
      );
    }
    return tf.tidy(() => tf.add(tf.matMul(features.pooled!, this.kernel), this.bias));
  }

  /** Per-token logits [B, gh, gw, C] (big_vision `logits_2d`). */
  classMap(features: Features): tf.Tensor4D {
    const [b, n, d] = features.tokens.shape;
    const [gh, gw] = features.grid;
    return tf.tidy(() => {
      const flat = tf.add(tf.matMul(tf.reshape(features.tokens, [b * n, d]), this.kernel), this.bias);
      return tf.reshape(flat, [b, gh, gw, this.numClasses]);
    });
  }

  dispose(): void {
    this.kernel.dispose();
    this.bias.dispose();
  }
}
