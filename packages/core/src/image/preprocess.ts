import * as tf from '@tensorflow/tfjs-core';
import { ImageInputError } from '../errors';
import { describeValue, isTensor } from './guards';
import { checkPixelTensor, toRgb } from './pixels';
import type { MeanStd, Normalization, NormalizePreset, PreprocessOptions, ResizeMode } from './types';

function freezeMeanStd(mean: [number, number, number], std: [number, number, number]) {
  return Object.freeze({ mean: Object.freeze(mean), std: Object.freeze(std) });
}

/**
 * Per-channel mean/std (for pixels scaled to 0..1) of each preset. `bigvision` is equivalent to
 * mean = std = 0.5 but is computed as `x / 127.5 - 1`, the formula of the reference outputs.
 */
export const NORMALIZE_PRESETS: Readonly<Record<NormalizePreset, Readonly<MeanStd>>> = Object.freeze({
  bigvision: freezeMeanStd([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
  imagenet: freezeMeanStd([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
  clip: freezeMeanStd([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]),
});

export const DEFAULT_CROP_RATIO = 7 / 8;

const RESIZE_MODES: readonly ResizeMode[] = ['squash', 'crop', 'none'];

interface ResolvedOptions {
  height: number;
  width: number;
  resize: ResizeMode;
  cropRatio: number;
  /** undefined = bigvision. */
  meanStd: MeanStd | undefined;
}

function argError(message: string): ImageInputError {
  return new ImageInputError('ARGUMENT_INVALID', message);
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

function resolveResolution(resolution: unknown): [number, number] {
  const dims = typeof resolution === 'number' ? [resolution, resolution] : resolution;
  if (!Array.isArray(dims) || dims.length !== 2 || !dims.every(isPositiveInt)) {
    throw argError(
      `resolution ${Array.isArray(resolution) ? `[${resolution.join(', ')}]` : String(resolution)} is invalid; ` +
        'expected a positive integer (square side) or [height, width] of positive integers.',
    );
  }
  return [dims[0], dims[1]];
}

function isTriple(v: unknown, ok: (n: number) => boolean): boolean {
  return Array.isArray(v) && v.length === 3 && v.every((n) => typeof n === 'number' && ok(n));
}

function resolveNormalize(normalize: Normalization | undefined): MeanStd | undefined {
  if (normalize === undefined || normalize === 'bigvision') return undefined;
  if (typeof normalize === 'string') {
    if (Object.hasOwn(NORMALIZE_PRESETS, normalize)) return NORMALIZE_PRESETS[normalize];
  } else if (
    typeof normalize === 'object' &&
    normalize !== null &&
    isTriple(normalize.mean, Number.isFinite) &&
    isTriple(normalize.std, (n) => Number.isFinite(n) && n > 0)
  ) {
    return { mean: [...normalize.mean], std: [...normalize.std] };
  }
  throw argError(
    `normalize ${typeof normalize === 'string' ? `"${normalize}"` : describeValue(normalize)} is invalid; ` +
      `expected one of ${Object.keys(NORMALIZE_PRESETS)
        .map((k) => `'${k}'`)
        .join(', ')} or {mean: [r, g, b], std: [r, g, b]} with finite means and positive stds.`,
  );
}

/** Validates and fills in defaults; throws ARGUMENT_INVALID naming the bad option. */
export function resolvePreprocessOptions(opts: PreprocessOptions): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null) {
    throw argError(
      `Preprocess options must be an object with at least {resolution}; got ${describeValue(opts)}.`,
    );
  }
  const [height, width] = resolveResolution(opts.resolution);
  const resize = opts.resize ?? 'squash';
  if (!RESIZE_MODES.includes(resize)) {
    throw argError(`resize "${String(resize)}" is invalid; expected 'squash', 'crop' or 'none'.`);
  }
  const cropRatio = opts.cropRatio ?? DEFAULT_CROP_RATIO;
  if (typeof cropRatio !== 'number' || !(cropRatio > 0 && cropRatio <= 1)) {
    throw argError(`cropRatio ${String(cropRatio)} is invalid; expected a number in (0, 1] (default 7/8).`);
  }
  return { height, width, resize, cropRatio, meanStd: resolveNormalize(opts.normalize) };
}

/**
 * The size `crop` resizes to before cropping. At the default 7/8 this is big_vision's
 * `size // 7 * 8` (240 → 272, 224 → 256); other ratios (and sizes under 7) use floor(size / cropRatio).
 */
export function preCropSize(size: number, cropRatio: number): number {
  const bigVision = Math.floor(size / 7) * 8;
  if (cropRatio === DEFAULT_CROP_RATIO && bigVision >= size) return bigVision;
  return Math.floor(size / cropRatio + 1e-9);
}

/** TF2 `tf.image.resize(..., 'bilinear', antialias=False)` semantics: half-pixel centres, no corner alignment. */
function resizeTo(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  if (x.shape[1] === height && x.shape[2] === width) return x;
  return tf.image.resizeBilinear(x, [height, width], false, true);
}

function resizeStep(x: tf.Tensor4D, o: ResolvedOptions): tf.Tensor4D {
  if (o.resize === 'none') return x;
  if (o.resize === 'squash') return resizeTo(x, o.height, o.width);
  const preH = preCropSize(o.height, o.cropRatio);
  const preW = preCropSize(o.width, o.cropRatio);
  const resized = resizeTo(x, preH, preW);
  if (preH === o.height && preW === o.width) return resized;
  const top = Math.floor((preH - o.height) / 2);
  const left = Math.floor((preW - o.width) / 2);
  return tf.slice(resized, [0, top, left, 0], [-1, o.height, o.width, 3]);
}

function normalizeStep(x: tf.Tensor4D, meanStd: MeanStd | undefined): tf.Tensor4D {
  if (meanStd === undefined) return tf.sub(tf.div(x, 127.5), 1);
  const mean = tf.tensor1d(meanStd.mean as number[], 'float32');
  const std = tf.tensor1d(meanStd.std as number[], 'float32');
  return tf.div(tf.sub(tf.div(x, 255), mean), std);
}

/**
 * Resizes and normalizes pixels (0..255, `[H, W, C]` or `[N, H, W, C]`, C = 1, 3 or 4) into a float32 NHWC
 * batch. Does not dispose `pixels`.
 */
export function preprocess(pixels: tf.Tensor3D | tf.Tensor4D, opts: PreprocessOptions): tf.Tensor4D {
  if (!isTensor(pixels)) {
    throw new ImageInputError(
      'IMAGE_UNSUPPORTED_INPUT',
      `preprocess takes a pixel tensor, got ${describeValue(pixels)}; decode other inputs with decodeImage ` +
        'or use loadImages.',
    );
  }
  checkPixelTensor(pixels, true);
  const o = resolvePreprocessOptions(opts);
  const [h, w] = pixels.rank === 4 ? pixels.shape.slice(1, 3) : pixels.shape.slice(0, 2);
  if (o.resize === 'none' && (h !== o.height || w !== o.width)) {
    throw argError(
      `resize 'none' needs images of exactly ${o.height}x${o.width} (height x width), got ${h}x${w}; ` +
        "use resize 'squash' or 'crop', or resize beforehand.",
    );
  }
  return tf.tidy(() => {
    const rgb = toRgb(tf.cast(pixels, 'float32'));
    const batch = rgb.rank === 3 ? tf.expandDims<tf.Tensor4D>(rgb, 0) : (rgb as tf.Tensor4D);
    return normalizeStep(resizeStep(batch, o), o.meanStd);
  });
}
