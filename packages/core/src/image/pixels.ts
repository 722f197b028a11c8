import * as tf from '@tensorflow/tfjs-core';
import { ImageInputError } from '../errors';
import type { PixelData } from './types';

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

/**
 * Checks a pixel tensor: rank 3 `[H, W, C]` (or rank 4 `[N, H, W, C]` when `allowBatch`), C in {1, 3, 4},
 * non-empty, numeric. Throws IMAGE_INVALID otherwise.
 */
export function checkPixelTensor(x: tf.Tensor, allowBatch: boolean): void {
  const shape = `[${x.shape.join(', ')}]`;
  const allowed = allowBatch ? '[H, W, C] or [N, H, W, C]' : '[H, W, C]';
  if (x.rank !== 3 && !(allowBatch && x.rank === 4)) {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `Pixel tensor has rank ${x.rank} (shape ${shape}); expected ${allowed} with C = 1, 3 or 4.`,
    );
  }
  const channels = x.shape[x.rank - 1];
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `Pixel tensor of shape ${shape} has ${channels} channels; expected 1 (grey), 3 (RGB) or 4 (RGBA).`,
    );
  }
  if (x.shape.some((d) => d === 0)) {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `Pixel tensor of shape ${shape} is empty; height, width (and batch) must be at least 1.`,
    );
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `Pixel tensor has dtype ${x.dtype}; expected float32 or int32 pixel values in 0..255.`,
    );
  }
}

/** Grey → 3 channels, RGBA → RGB, RGB unchanged. Works on the last axis of rank 3 or 4. Call inside tidy. */
export function toRgb<T extends tf.Tensor3D | tf.Tensor4D>(x: T): T {
  const channels = x.shape[x.rank - 1];
  if (channels === 3) return x;
  if (channels === 1) return tf.concat([x, x, x], x.rank - 1) as T;
  const begin = new Array<number>(x.rank).fill(0);
  const size = [...x.shape];
  size[x.rank - 1] = 3;
  return tf.slice(x, begin, size) as T;
}

/** A new int32 RGB `[H, W, 3]` tensor from raw 8-bit pixels (ImageData or `{data, width, height, channels?}`). */
export function pixelDataToTensor(p: PixelData): tf.Tensor3D {
  const { data, width, height } = p;
  if (!isPositiveInt(width) || !isPositiveInt(height)) {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `Pixel data has size ${width}x${height}; width and height must be positive integers.`,
    );
  }
  const n = width * height;
  let channels: number | undefined = p.channels;
  if (channels === undefined) {
    // ImageData has no `channels` and is always RGBA; for plain pixel data infer from the length.
    channels = data.length === n * 4 ? 4 : data.length === n * 3 ? 3 : data.length === n ? 1 : undefined;
    if (channels === undefined) {
      throw new ImageInputError(
        'IMAGE_INVALID',
        `Pixel data of ${width}x${height} has ${data.length} bytes; expected ${n} (grey), ${n * 3} (RGB) ` +
          `or ${n * 4} (RGBA), or set \`channels\`.`,
      );
    }
  } else if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `Pixel data has channels = ${String(channels)}; expected 1 (grey), 3 (RGB) or 4 (RGBA).`,
    );
  } else if (data.length !== n * channels) {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `Pixel data of ${width}x${height} with ${channels} channels needs ${n * channels} bytes, got ${data.length}.`,
    );
  }
  // One pass straight into the RGB layout, so no intermediate tensors.
  const out = new Int32Array(n * 3);
  for (let i = 0, o = 0, s = 0; i < n; i++, o += 3, s += channels) {
    if (channels === 1) {
      const v = data[s];
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    } else {
      out[o] = data[s];
      out[o + 1] = data[s + 1];
      out[o + 2] = data[s + 2];
    }
  }
  return tf.tensor3d(out, [height, width, 3], 'int32');
}

/** `decodeImage` for tensors: a new RGB Tensor3D, never the caller's tensor (so disposing it is always safe). */
export function tensorToRgb3d(x: tf.Tensor): tf.Tensor3D {
  checkPixelTensor(x, true);
  if (x.rank === 4) {
    if (x.shape[0] !== 1) {
      throw new ImageInputError(
        'IMAGE_INVALID',
        `decodeImage returns one image but got a batch of ${x.shape[0]} (shape [${x.shape.join(', ')}]); ` +
          'pass a Tensor3D or a [1, H, W, C] tensor, or use loadImages for batches.',
      );
    }
  }
  return tf.tidy(() => {
    const img = (x.rank === 4 ? tf.squeeze(x, [0]) : x) as tf.Tensor3D;
    const rgb = toRgb(img);
    // tidy keeps a returned tensor alive; clone so the result is never the caller's own tensor.
    return rgb === x ? tf.clone(rgb) : rgb;
  });
}
