import * as tf from '@tensorflow/tfjs-core';
import { ImageInputError } from '../errors';
import { fetchBlob, shorten } from './fetch';
import { isCanvas, isImageBitmap, isImageElement, isVideoElement, isVideoFrame } from './guards';

export type DomSource =
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | HTMLVideoElement
  | ImageBitmap
  | VideoFrame;

export function isDomSource(x: unknown): x is DomSource {
  return isImageElement(x) || isCanvas(x) || isVideoElement(x) || isImageBitmap(x) || isVideoFrame(x);
}

function requireSize(width: number, height: number, what: string): void {
  if (!(width > 0 && height > 0)) {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `${what} has size ${width}x${height}; it must be at least 1x1 (loaded and non-empty).`,
    );
  }
}

/** tf.browser.fromPixels with its failures (e.g. a cross-origin tainted canvas) as IMAGE_INVALID. */
function fromPixels(source: Parameters<typeof tf.browser.fromPixels>[0], what: string): tf.Tensor3D {
  try {
    return tf.browser.fromPixels(source, 3);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ImageInputError(
      'IMAGE_INVALID',
      `Could not read the pixels of the ${what} (${reason}). Cross-origin images need CORS ` +
        '(crossOrigin="anonymous").',
      { cause: err },
    );
  }
}

async function bitmapToTensor(source: ImageBitmapSource, what: string): Promise<tf.Tensor3D> {
  let bitmap: ImageBitmap;
  try {
    // from-image applies EXIF orientation; premultiplyAlpha none keeps RGB of translucent pixels.
    bitmap = await createImageBitmap(source, { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ImageInputError(
      'IMAGE_INVALID',
      `${what} could not be decoded as an image (${reason}). Use an encoding this browser decodes ` +
        '(JPEG, PNG, WebP, GIF, …).',
      { cause: err },
    );
  }
  try {
    requireSize(bitmap.width, bitmap.height, what);
    return fromPixels(bitmap, what);
  } finally {
    bitmap.close();
  }
}

/** Encoded bytes in a browser or worker: createImageBitmap, then fromPixels. */
export async function decodeBlobInBrowser(blob: Blob, what = 'Image blob'): Promise<tf.Tensor3D> {
  if (blob.size === 0) {
    throw new ImageInputError('IMAGE_INVALID', `${what} is empty (0 bytes); expected an encoded image.`);
  }
  return bitmapToTensor(blob, what);
}

/** A URL in a browser: fetched (relative URLs resolve against the page), then decoded. */
export async function decodeUrlInBrowser(location: string | URL): Promise<tf.Tensor3D> {
  const href = typeof location === 'string' ? location : location.href;
  if (href.length === 0) {
    throw new ImageInputError('IMAGE_INVALID', 'Image URL is an empty string; expected a URL to fetch.');
  }
  const blob = await fetchBlob(href);
  return decodeBlobInBrowser(blob, `Image at ${shorten(href)}`);
}

export async function decodeDomSource(source: DomSource): Promise<tf.Tensor3D> {
  if (isImageElement(source)) {
    if (!source.complete || source.naturalWidth === 0) {
      try {
        await source.decode();
      } catch (err) {
        throw new ImageInputError(
          'IMAGE_INVALID',
          `HTMLImageElement (src ${shorten(source.currentSrc || source.src)}) failed to load or decode.`,
          { cause: err },
        );
      }
    }
    requireSize(source.naturalWidth, source.naturalHeight, 'HTMLImageElement');
    // Through a bitmap so the intrinsic size is used, not the element's width/height attributes.
    return bitmapToTensor(source, 'HTMLImageElement');
  }
  if (isVideoElement(source)) {
    // HAVE_CURRENT_DATA: before it there is no frame to read.
    if (source.readyState < 2) {
      throw new ImageInputError(
        'IMAGE_INVALID',
        'HTMLVideoElement has no current frame yet (readyState < HAVE_CURRENT_DATA); wait for "loadeddata".',
      );
    }
    requireSize(source.videoWidth, source.videoHeight, 'HTMLVideoElement');
    return fromPixels(source, 'HTMLVideoElement');
  }
  if (isVideoFrame(source)) {
    requireSize(source.displayWidth, source.displayHeight, 'VideoFrame');
    // fromPixels does not take VideoFrame.
    return bitmapToTensor(source, 'VideoFrame');
  }
  const what = isImageBitmap(source) ? 'ImageBitmap' : 'canvas';
  requireSize(source.width, source.height, what);
  return fromPixels(source as HTMLCanvasElement | ImageBitmap, what);
}
