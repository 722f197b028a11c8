/**
 * Resizing a learned position embedding to a new token grid, as big_vision does
 * (`jax.image.resize(..., "linear")`, antialias on): half-pixel bilinear when upsampling, a
 * triangle filter widened by in/out when downsampling (7→5 row 0 = [2/3, 1/3], not bilinear's
 * [0.8, 0.2]). One Kronecker matrix [new·new, old·old] applied as a single 2-D matMul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMul2d } from '../ops';
import { triangleMatrix } from './interpolate';
import { kron } from './linalg';
import type { Size2 } from './patch-embedding';

const cache = new Map<string, Float32Array>();

/** The (new_h·new_w × old_h·old_w) operator on row-major grids, cached per size pair. */
export function positionEmbeddingMatrix(from: Size2, to: Size2): Float32Array {
  const key = `${from[0]}x${from[1]}->${to[0]}x${to[1]}`;
  let m = cache.get(key);
  if (!m) {
    m = Float32Array.from(kron(triangleMatrix(from[0], to[0]), triangleMatrix(from[1], to[1])).data);
    cache.set(key, m);
  }
  return m;
}

/** Resize a position embedding [gh·gw, D] laid out row-major on the grid `from` to grid `to`. */
export function resizePositionEmbedding(posemb: tf.Tensor2D, from: Size2, to: Size2): tf.Tensor2D {
  if (from[0] === to[0] && from[1] === to[1]) return posemb.clone();
  return tf.tidy(() => {
    const m = tf.tensor2d(positionEmbeddingMatrix(from, to), [to[0] * to[1], from[0] * from[1]]);
    return matMul2d(m, posemb);
  });
}
