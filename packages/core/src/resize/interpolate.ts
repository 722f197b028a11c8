/**
 * 1-D resampling operators as explicit (out × in) matrices. Every 2-D resize used by FlexiViT is
 * separable, so the 2-D operator on a row-major grid is kron(Ry, Rx).
 */
import { type Mat, mat } from './linalg';

/**
 * Half-pixel bilinear without antialias (TF2 `tf.image.resize(method="bilinear")`, PyTorch
 * `align_corners=False`): output i samples x = (i + 0.5)·in/out − 0.5, clamped to the edges.
 */
export function bilinearMatrix(inSize: number, outSize: number): Mat {
  const m = mat(outSize, inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const x = (i + 0.5) * scale - 0.5;
    const f = Math.floor(x);
    const t = x - f;
    const lo = Math.min(Math.max(f, 0), inSize - 1);
    const hi = Math.min(Math.max(f + 1, 0), inSize - 1);
    m.data[i * inSize + lo] += 1 - t;
    m.data[i * inSize + hi] += t;
  }
  return m;
}

/**
 * Triangle (linear) filter as jax.image.resize(method="linear", antialias=True) computes it: when
 * downsampling the kernel is widened by in/out so every input pixel contributes (antialiasing);
 * when upsampling this equals half-pixel bilinear. Weights are normalised to sum to 1.
 */
export function triangleMatrix(inSize: number, outSize: number): Mat {
  const m = mat(outSize, inSize);
  const invScale = inSize / outSize;
  const kernelScale = Math.max(invScale, 1);
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * invScale - 0.5;
    let sum = 0;
    for (let j = 0; j < inSize; j++) {
      const w = Math.max(0, 1 - Math.abs(centre - j) / kernelScale);
      m.data[i * inSize + j] = w;
      sum += w;
    }
    if (sum > 0) for (let j = 0; j < inSize; j++) m.data[i * inSize + j] /= sum;
  }
  return m;
}

/**
 * Area (box) resampling: each output cell averages the input cells it overlaps, weighted by the
 * overlap length (like TF's `area` method). Upsampling by an integer factor repeats pixels.
 */
export function areaMatrix(inSize: number, outSize: number): Mat {
  const m = mat(outSize, inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const start = i * scale;
    const end = (i + 1) * scale;
    for (let j = Math.floor(start); j < Math.min(Math.ceil(end), inSize); j++) {
      const overlap = Math.min(end, j + 1) - Math.max(start, j);
      if (overlap > 0) m.data[i * inSize + j] = overlap / scale;
    }
  }
  return m;
}
