import * as tf from '@tensorflow/tfjs-core';
import type { PixelData } from './types';

// Every DOM check goes through `typeof X !== 'undefined'` first so this module loads in Node without a DOM.

/** Tag-based so a typed array from another realm (worker, vm context) still counts. */
function typedArrayTag(x: unknown): string | undefined {
  if (!ArrayBuffer.isView(x)) return undefined;
  return Object.prototype.toString.call(x).slice(8, -1);
}

export function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

export function isByteArray(x: unknown): x is Uint8Array | Uint8ClampedArray {
  const tag = typedArrayTag(x);
  return tag === 'Uint8Array' || tag === 'Uint8ClampedArray';
}

export function isArrayBuffer(x: unknown): x is ArrayBuffer {
  return x instanceof ArrayBuffer || Object.prototype.toString.call(x) === '[object ArrayBuffer]';
}

export function isUrl(x: unknown): x is URL {
  return typeof URL !== 'undefined' && x instanceof URL;
}

export function isBlob(x: unknown): x is Blob {
  if (typeof Blob !== 'undefined' && x instanceof Blob) return true;
  // Blob polyfills (e.g. from fetch libraries) are not instances of the global class.
  const b = x as Partial<Blob> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.arrayBuffer === 'function' &&
    typeof b.size === 'number' &&
    typeof b.type === 'string'
  );
}

/** `ImageData` and `{data, width, height, channels?}`. */
export function isPixelData(x: unknown): x is PixelData {
  const p = x as Partial<PixelData> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    isByteArray(p.data) &&
    typeof p.width === 'number' &&
    typeof p.height === 'number'
  );
}

export function isImageElement(x: unknown): x is HTMLImageElement {
  return typeof HTMLImageElement !== 'undefined' && x instanceof HTMLImageElement;
}

export function isVideoElement(x: unknown): x is HTMLVideoElement {
  return typeof HTMLVideoElement !== 'undefined' && x instanceof HTMLVideoElement;
}

export function isCanvas(x: unknown): x is HTMLCanvasElement | OffscreenCanvas {
  return (
    (typeof HTMLCanvasElement !== 'undefined' && x instanceof HTMLCanvasElement) ||
    (typeof OffscreenCanvas !== 'undefined' && x instanceof OffscreenCanvas)
  );
}

export function isImageBitmap(x: unknown): x is ImageBitmap {
  return typeof ImageBitmap !== 'undefined' && x instanceof ImageBitmap;
}

export function isVideoFrame(x: unknown): x is VideoFrame {
  return typeof VideoFrame !== 'undefined' && x instanceof VideoFrame;
}

/** Browser-style decoding (createImageBitmap + fromPixels) is used wherever it exists; elsewhere sharp. */
export function hasDomDecoder(): boolean {
  return typeof createImageBitmap === 'function';
}

/** A short name for an unsupported value, for error messages. */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  if (isTensor(x)) return `Tensor of shape [${x.shape.join(', ')}] (${x.dtype})`;
  const tag = typedArrayTag(x);
  if (tag) return tag;
  const ctor = (x as { constructor?: { name?: string } }).constructor?.name;
  if (Array.isArray(x)) return 'Array';
  return ctor && ctor !== 'Object' ? ctor : `object with keys {${Object.keys(x).slice(0, 6).join(', ')}}`;
}

export const ACCEPTED_INPUTS =
  'a file path or URL string, URL, Uint8Array/ArrayBuffer/Blob of encoded image bytes, ImageData, ' +
  '{data, width, height, channels?} pixel data, an HTML image/canvas/video element, OffscreenCanvas, ' +
  'ImageBitmap, VideoFrame, or a tf.Tensor3D [H, W, 1|3|4] / tf.Tensor4D [N, H, W, 1|3|4]';
