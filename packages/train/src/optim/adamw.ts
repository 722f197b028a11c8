/**
 * AdamW (Loshchilov & Hutter): Adam on the gradient, weight decay applied to the weights directly
 * (decoupled), scaled by the learning rate as optax.adamw does; global-norm gradient clipping.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip gradients to this global L2 norm (0 = off). */
  clipNorm?: number;
  /** Which params decay (default: kernels only, not biases, norms, embeddings). */
  decays?: (name: string) => boolean;
}

export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  readonly options: Required<AdamWOptions>;

  constructor(options: AdamWOptions = {}) {
    this.options = {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      clipNorm: 0,
      decays: (name) => name.endsWith('kernel'),
      ...options,
    };
  }

  /** Moments for every param (zeros), or restored ones. */
  init(
    params: Map<string, tf.Variable>,
    restored?: { m: Map<string, Float32Array>; v: Map<string, Float32Array> },
  ): void {
    for (const [name, p] of params) {
      const m0 = restored?.m.get(name);
      const v0 = restored?.v.get(name);
      this.m.set(name, tf.variable(m0 ? tf.tensor(m0, p.shape) : tf.zerosLike(p), false));
      this.v.set(name, tf.variable(v0 ? tf.tensor(v0, p.shape) : tf.zerosLike(p), false));
    }
  }

  /**
   * One update at 1-based step `t` with learning rate `lr`, `grads` keyed by variable name (as
   * tf.variableGrads returns them). Returns the gradient's global norm before clipping.
   */
  apply(params: Map<string, tf.Variable>, grads: tf.NamedTensorMap, lr: number, t: number): number {
    const { beta1, beta2, eps, weightDecay, clipNorm, decays } = this.options;
    return tf.tidy(() => {
      const names = [...params.keys()].filter((n) => grads[params.get(n)!.name]);
      if (names.length === 0) return 0;
      const gradOf = (n: string) => grads[params.get(n)!.name];
      const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(gradOf(n))))));
      const normValue = norm.dataSync()[0];
      const scale = clipNorm > 0 && normValue > clipNorm ? clipNorm / normValue : 1;
      const c1 = 1 - beta1 ** t;
      const c2 = 1 - beta2 ** t;
      for (const name of names) {
        const p = params.get(name)!;
        const g = scale === 1 ? gradOf(name) : tf.mul(gradOf(name), scale);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        let update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
        if (weightDecay > 0 && decays(name)) update = tf.add(update, tf.mul(p, weightDecay));
        p.assign(tf.sub(p, tf.mul(update, lr)));
      }
      return normValue;
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
