/**
 * A classifier being trained: FlexiViT params and a linear head as tf.Variables, addressed by
 * canonical paths (`blocks.0.attn.query.kernel`, …, `head.kernel`). The stored patch kernel and
 * position embedding stay at their underlying sizes; every step resizes them inside the gradient.
 */
import {
  type EncoderParams,
  FlexiViT,
  type FlexiViTConfig,
  type HostArray,
  initParams,
  type MappedCheckpoint,
  matMul2d,
  type RawCheckpoint,
  takeArray,
  toBigVision,
  unflattenParams,
} from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';

export class TrainableClassifier {
  readonly config: FlexiViTConfig;
  readonly numClasses: number;
  /** Every trainable variable by canonical path (backbone + `head.kernel`, `head.bias`). */
  readonly variables: Map<string, tf.Variable>;
  readonly backbone: FlexiViT;

  constructor(config: FlexiViTConfig, numClasses: number, host: Map<string, HostArray>) {
    this.config = config;
    this.numClasses = numClasses;
    this.variables = new Map();
    for (const [path, a] of host)
      this.variables.set(path, tf.variable(tf.tensor(a.data, a.shape, 'float32'), true));
    const backboneVars = new Map([...this.variables].filter(([k]) => !k.startsWith('head.')));
    this.backbone = new FlexiViT(config, unflattenParams<EncoderParams>(backboneVars));
  }

  /** Fresh weights: big_vision init, head zero-initialised (`head_zeroinit`). */
  static init(config: FlexiViTConfig, numClasses: number, seed: number): TrainableClassifier {
    const host = initParams(config, seed);
    host.set('head.kernel', {
      shape: [config.width, numClasses],
      data: new Float32Array(config.width * numClasses),
    });
    host.set('head.bias', { shape: [numClasses], data: new Float32Array(numClasses) });
    return new TrainableClassifier(config, numClasses, host);
  }

  /** From a mapped checkpoint whose `rest` has a big_vision head (`head/kernel`, `head/bias`). */
  static fromCheckpoint(mapped: MappedCheckpoint): TrainableClassifier {
    const kernel = takeArray(mapped.rest, 'head/kernel', [mapped.config.width, null], mapped.layout);
    const bias = takeArray(mapped.rest, 'head/bias', [kernel.shape[1]], mapped.layout);
    const host = new Map(mapped.params);
    host.set('head.kernel', kernel);
    host.set('head.bias', bias);
    return new TrainableClassifier(mapped.config, kernel.shape[1], host);
  }

  /** Logits [B, C] at `patchSize`; `training` resizes inside the gradient. */
  logits(
    x: tf.Tensor4D,
    patchSize: number,
    training: boolean,
    resize: 'pi' | 'bilinear' = 'pi',
  ): tf.Tensor2D {
    return tf.tidy(() => {
      const f = this.backbone.forward(x, { patchSize, training, patchEmbeddingResize: resize });
      return tf.add(
        matMul2d(f.pooled!, this.variables.get('head.kernel') as tf.Tensor2D),
        this.variables.get('head.bias')!,
      );
    });
  }

  /** Current weights on the host. */
  async hostParams(): Promise<Map<string, HostArray>> {
    const out = new Map<string, HostArray>();
    for (const [k, v] of this.variables)
      out.set(k, { shape: v.shape.slice(), data: (await v.data()) as Float32Array });
    return out;
  }

  /** big_vision layout (`params/…`, head included): loadable by big_vision, timm and this library. */
  async toBigVision(): Promise<RawCheckpoint> {
    const host = await this.hostParams();
    const head = { 'head/kernel': host.get('head.kernel')!, 'head/bias': host.get('head.bias')! };
    host.delete('head.kernel');
    host.delete('head.bias');
    return toBigVision(host, this.config, head);
  }

  dispose(): void {
    this.backbone.clearCache();
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}
