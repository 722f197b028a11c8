/**
 * Resizing the patch-embedding kernel to a new patch size (FlexiViT §3.4).
 *
 * PI-resize: with R the bilinear resize of a patch (new ← old), choose w_new so that
 * ⟨x, w_old⟩ = ⟨R x, w_new⟩ for every patch x, i.e. w_new = pinv(Rᵀ) · w_old. Exact when
 * upsampling (R has full column rank), least squares when downsampling. R = Ry ⊗ Rx is separable,
 * so pinv(Rᵀ) = pinv(Ryᵀ) ⊗ pinv(Rxᵀ) and each (in, out) channel slice W becomes Py · W · Pxᵀ.
 * Always resample from the stored kernel: chained resizes lose information.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors';
import { matMul2d } from '../ops';
import { areaMatrix, bilinearMatrix } from './interpolate';
import { type Mat, pinv, transpose } from './linalg';

/**
 * `pi`: pseudo-inverse resize (the paper's method). `bilinear`: resize the kernel like an image
 * (the paper's "vanilla" baseline). `area`: box-filter resize of the kernel. `norm`: bilinear,
 * then each output channel rescaled to keep its L2 norm (a norm-preserving heuristic).
 */
export type PatchEmbeddingResize = 'pi' | 'bilinear' | 'area' | 'norm';

export type Size2 = [number, number];

const matrixCache = new Map<string, { y: Float32Array; x: Float32Array; y64: Mat; x64: Mat }>();

function oneDim(method: PatchEmbeddingResize, from: number, to: number): Mat {
  switch (method) {
    case 'pi':
      return pinv(transpose(bilinearMatrix(from, to)));
    case 'bilinear':
    case 'norm':
      return bilinearMatrix(from, to);
    case 'area':
      return areaMatrix(from, to);
    default:
      throw new ConfigError(
        'ARGUMENT_INVALID',
        `Unknown patch-embedding resize "${method}"; use pi, bilinear, area or norm.`,
      );
  }
}

/**
 * The two 1-D operators (new × old) whose Kronecker product resizes a flattened kernel slice,
 * computed in float64 once per (method, from, to) and cached.
 */
export function patchEmbeddingMatrices(
  from: Size2,
  to: Size2,
  method: PatchEmbeddingResize = 'pi',
): { y: Float32Array; x: Float32Array; y64: Mat; x64: Mat } {
  const key = `${method}:${from[0]}x${from[1]}->${to[0]}x${to[1]}`;
  let entry = matrixCache.get(key);
  if (!entry) {
    const y64 = oneDim(method, from[0], to[0]);
    const x64 = oneDim(method, from[1], to[1]);
    entry = { y64, x64, y: Float32Array.from(y64.data), x: Float32Array.from(x64.data) };
    matrixCache.set(key, entry);
  }
  return entry;
}

export function toSize2(size: number | readonly number[], what = 'patch size'): Size2 {
  const s: Size2 = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  if (
    !(Number.isInteger(s[0]) && Number.isInteger(s[1]) && s[0] > 0 && s[1] > 0) ||
    (typeof size !== 'number' && size.length !== 2)
  ) {
    throw new ConfigError(
      'PATCH_SIZE_INVALID',
      `Invalid ${what} ${JSON.stringify(size)}: expected a positive integer or [height, width].`,
    );
  }
  return s;
}

/**
 * Resize an HWIO patch-embedding kernel [ph, pw, C, D] to `to` = [h, w]. Made of two plain 2-D
 * matMuls and transposes, so it is differentiable: in training the stored kernel gets the gradient.
 */
export function resizePatchEmbedding(
  kernel: tf.Tensor4D,
  to: number | Size2,
  method: PatchEmbeddingResize = 'pi',
): tf.Tensor4D {
  const [ph, pw, c, d] = kernel.shape;
  const [nh, nw] = toSize2(to);
  if (ph === nh && pw === nw) return kernel.clone();
  const m = patchEmbeddingMatrices([ph, pw], [nh, nw], method);
  return tf.tidy(() => {
    const py = tf.tensor2d(m.y, [nh, ph]);
    const px = tf.tensor2d(m.x, [nw, pw]);
    // Rows: [ph, pw·C·D] → [nh, pw·C·D]; then bring pw to the front and do the columns.
    const rows = matMul2d(py, tf.reshape(kernel, [ph, pw * c * d]));
    const byCol = tf.reshape(tf.transpose(tf.reshape(rows, [nh, pw, c * d]), [1, 0, 2]), [
      pw,
      nh * c * d,
    ]) as tf.Tensor2D;
    const cols = matMul2d(px, byCol); // [nw, nh·C·D]
    let out = tf.transpose(tf.reshape(cols, [nw, nh, c, d]), [1, 0, 2, 3]) as tf.Tensor4D;
    if (method === 'norm') {
      const before = tf.sqrt(tf.sum(tf.square(kernel), [0, 1, 2]));
      const after = tf.sqrt(tf.sum(tf.square(out), [0, 1, 2]));
      out = tf.mul(out, tf.div(before, tf.maximum(after, 1e-12))) as tf.Tensor4D;
    }
    return out;
  });
}
