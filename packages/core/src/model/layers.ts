/**
 * The transformer's building blocks as pure functions of (params, inputs). Activations are kept
 * 2-D ([tokens, D]) around matMuls: plain 2-D matMul is the fast path on every tfjs backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMul2d } from '../ops';
import type { Gelu } from './config';
import type { Attention, Dense, EncoderBlock, LayerNorm, MapHead, Mlp } from './params';

export function dense(x: tf.Tensor2D, p: Dense): tf.Tensor2D {
  return tf.add(matMul2d(x, p.kernel), p.bias);
}

export function layerNorm<T extends tf.Tensor>(x: T, p: LayerNorm, eps: number): T {
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, p.scale), p.bias) as T;
}

const TWO_SQRT_2_OVER_PI = 2 * Math.sqrt(2 / Math.PI);

/**
 * GELU: `tanh` is the approximation Flax's nn.gelu uses by default, `erf` the exact form.
 * The tanh form is computed as x·σ(2u) (= 0.5·x·(1 + tanh u)) with x³ as x·x·x: on wasm, Sigmoid
 * and Mul are ~6× faster than Tanh and Pow.
 */
export function gelu<T extends tf.Tensor>(x: T, kind: Gelu): T {
  if (kind === 'erf') return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))) as T;
  const u2 = tf.mul(tf.mul(x, tf.add(1, tf.mul(tf.mul(x, x), 0.044715))), TWO_SQRT_2_OVER_PI);
  return tf.mul(x, tf.sigmoid(u2)) as T;
}

export function mlp(x: tf.Tensor2D, p: Mlp, kind: Gelu): tf.Tensor2D {
  return dense(gelu(dense(x, p.fc1), kind), p.fc2);
}

/**
 * Split projected tokens [B·N, D] into per-(image, head) 2-D blocks: [N, hd] each, or [hd, N]
 * when `transposed` (keys, so scores are a plain matMul). Index = b·H + h.
 */
function headBlocks(
  x: tf.Tensor2D,
  batch: number,
  tokens: number,
  heads: number,
  transposed: boolean,
): tf.Tensor2D[] {
  const hd = x.shape[1] / heads;
  const perHead = transposed
    ? tf.transpose(tf.reshape(x, [batch, tokens, heads, hd]), [0, 2, 3, 1]) // [B, H, hd, N]
    : tf.transpose(tf.reshape(x, [batch, tokens, heads, hd]), [0, 2, 1, 3]); // [B, H, N, hd]
  const rows = transposed ? hd : tokens;
  const cols = transposed ? tokens : hd;
  return tf.split(tf.reshape(perHead, [batch * heads * rows, cols]), batch * heads, 0) as tf.Tensor2D[];
}

/**
 * Multi-head dot-product attention, queries from `q` [B, Nq, D], keys/values from `kv` [B, Nk, D];
 * scores scaled by 1/sqrt(head_dim) as in Flax and timm. Returns [B·Nq, D].
 * One plain 2-D matMul per (image, head) for scores and for mixing: batched matMuls are ~10× slower
 * on wasm, and there is no einsum kernel there.
 */
export function attention(q: tf.Tensor3D, kv: tf.Tensor3D, p: Attention, heads: number): tf.Tensor2D {
  const [b, nq, d] = q.shape;
  const nk = kv.shape[1];
  const q2 = tf.reshape(q, [b * nq, d]) as tf.Tensor2D;
  const kv2 = q === kv ? q2 : (tf.reshape(kv, [b * nk, d]) as tf.Tensor2D);
  const scale = 1 / Math.sqrt(d / heads);
  const qs = headBlocks(tf.mul(dense(q2, p.query), scale), b, nq, heads, false);
  const ks = headBlocks(dense(kv2, p.key), b, nk, heads, true);
  const vs = headBlocks(dense(kv2, p.value), b, nk, heads, false);
  const perImage: tf.Tensor2D[] = [];
  for (let i = 0; i < b; i++) {
    // Per image, so an image's scores are freed before the next image's are made.
    perImage.push(
      tf.tidy(() => {
        const outs: tf.Tensor2D[] = [];
        for (let h = 0; h < heads; h++) {
          const j = i * heads + h;
          outs.push(matMul2d(tf.softmax(matMul2d(qs[j], ks[j])), vs[j])); // [Nq, hd]
        }
        return tf.concat(outs, 1); // columns head-major: h·hd + j
      }),
    );
  }
  const mixed = b === 1 ? perImage[0] : (tf.concat(perImage, 0) as tf.Tensor2D);
  return dense(mixed, p.out);
}

/** Pre-LN encoder block: x + MHA(LN(x)), then x + MLP(LN(x)). x is [B, N, D]. */
export function encoderBlock(
  x: tf.Tensor3D,
  p: EncoderBlock,
  heads: number,
  eps: number,
  kind: Gelu,
): tf.Tensor3D {
  const [b, n, d] = x.shape;
  const x2 = tf.reshape(x, [b * n, d]) as tf.Tensor2D;
  const y = layerNorm(x, p.ln1, eps);
  const h = tf.add(x2, attention(y, y, p.attn, heads)) as tf.Tensor2D;
  const out = tf.add(h, mlp(layerNorm(h, p.ln2, eps), p.mlp, kind));
  return tf.reshape(out, [b, n, d]);
}

/** big_vision MAPHead: a learned probe attends over all tokens, then a residual MLP. → [B, D] */
export function mapPool(x: tf.Tensor3D, p: MapHead, heads: number, eps: number, kind: Gelu): tf.Tensor2D {
  const [b, , d] = x.shape;
  const probe = tf.tile(tf.reshape(p.probe, [1, 1, d]), [b, 1, 1]) as tf.Tensor3D;
  const h = attention(probe, x, p.attn, heads);
  return tf.add(h, mlp(layerNorm(h, p.ln, eps), p.mlp, kind));
}
