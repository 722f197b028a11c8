import type * as tf from '@tensorflow/tfjs-core';

/**
 * Raw interleaved 8-bit pixels, row-major. `ImageData` fits this shape (RGBA, 4 channels).
 * When `channels` is omitted it is inferred from `data.length / (width * height)`.
 */
export interface PixelData {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels?: 1 | 3 | 4;
}

/**
 * Anything `decodeImage` / `loadImages` accept.
 * - `string` / `URL`: in Node a file path, `file://`, `http(s)://` or `data:` URL; in a browser a URL to fetch.
 * - `Uint8Array` / `ArrayBuffer` / `Blob`: encoded image bytes (PNG, JPEG, WebP, GIF, AVIF, TIFF, …).
 * - `ImageData` / `PixelData`: raw 8-bit pixels.
 * - DOM sources (browser only).
 * - `tf.Tensor3D` `[H, W, 1|3|4]` or `tf.Tensor4D` `[N, H, W, 1|3|4]` of pixel values in 0..255.
 */
export type ImageInput =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | Blob
  | ImageData
  | PixelData
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | HTMLVideoElement
  | ImageBitmap
  | VideoFrame
  | tf.Tensor3D
  | tf.Tensor4D;

/**
 * How to bring an image to the target resolution.
 * - `squash`: bilinear resize straight to the size (aspect ratio not kept).
 * - `crop`: big_vision eval recipe: squash-resize to `floor(size / cropRatio)`, then take the central crop.
 * - `none`: the image must already be at the size.
 */
export type ResizeMode = 'squash' | 'crop' | 'none';

/** Per-channel statistics applied as `(x / 255 - mean) / std` to pixels in 0..255. */
export interface MeanStd {
  mean: readonly number[];
  std: readonly number[];
}

export type NormalizePreset = 'bigvision' | 'imagenet' | 'clip';

export type Normalization = NormalizePreset | MeanStd;

export interface PreprocessOptions {
  /** Target size: a square side, or `[height, width]`. Positive integers. */
  resolution: number | readonly [number, number];
  /** Default `'squash'`. */
  resize?: ResizeMode;
  /** Fraction of the pre-crop size that the `crop` mode keeps, in (0, 1]. Default 7/8. */
  cropRatio?: number;
  /** Default `'bigvision'` (`x / 127.5 - 1`, range [-1, 1]). */
  normalize?: Normalization;
}
