import type * as tf from '@tensorflow/tfjs-core';
import { ImageInputError } from '../errors';
import { decodeBlobInBrowser, decodeDomSource, decodeUrlInBrowser, isDomSource } from './browser';
import {
  ACCEPTED_INPUTS,
  describeValue,
  hasDomDecoder,
  isArrayBuffer,
  isBlob,
  isByteArray,
  isPixelData,
  isTensor,
  isUrl,
} from './guards';
import { decodeBytesWithSharp, readNodeSource } from './node';
import { pixelDataToTensor, tensorToRgb3d } from './pixels';
import type { ImageInput } from './types';

function bytesView(x: Uint8Array | Uint8ClampedArray | ArrayBuffer): Uint8Array {
  if (isArrayBuffer(x)) return new Uint8Array(x);
  // Re-wraps Uint8ClampedArray (and typed arrays from another realm) without copying.
  return x instanceof Uint8Array ? x : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

/**
 * Decodes one image to an RGB `[H, W, 3]` tensor of pixel values 0..255 (int32 from decoders, or the dtype of a
 * tensor input). Alpha is dropped, grey is repeated to 3 channels, EXIF orientation is applied.
 * The result is always a new tensor owned by the caller (dispose it).
 *
 * In Node, encoded bytes are decoded with the optional peer dependency `sharp`; in browsers and workers with
 * `createImageBitmap` + `tf.browser.fromPixels`.
 */
export async function decodeImage(input: ImageInput): Promise<tf.Tensor3D> {
  if (isTensor(input)) return tensorToRgb3d(input);
  if (typeof input === 'string' || isUrl(input)) {
    if (hasDomDecoder()) return decodeUrlInBrowser(input);
    const { bytes, source } = await readNodeSource(input);
    return decodeBytesWithSharp(bytes, source);
  }
  if (isByteArray(input) || isArrayBuffer(input)) {
    const bytes = bytesView(input);
    if (hasDomDecoder()) {
      if (bytes.byteLength === 0) {
        throw new ImageInputError(
          'IMAGE_INVALID',
          'Image bytes are empty (0 bytes); expected an encoded image.',
        );
      }
      return decodeBlobInBrowser(new Blob([bytes as Uint8Array<ArrayBuffer>]), 'Image bytes');
    }
    return decodeBytesWithSharp(bytes, 'Image bytes');
  }
  if (isBlob(input)) {
    if (hasDomDecoder()) return decodeBlobInBrowser(input);
    return decodeBytesWithSharp(new Uint8Array(await input.arrayBuffer()), 'Image blob');
  }
  if (isPixelData(input)) return pixelDataToTensor(input);
  if (isDomSource(input)) return decodeDomSource(input);
  throw new ImageInputError(
    'IMAGE_UNSUPPORTED_INPUT',
    `Unsupported image input: ${describeValue(input)}. Expected ${ACCEPTED_INPUTS}.`,
  );
}
