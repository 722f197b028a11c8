import * as tf from '@tensorflow/tfjs-core';
import { ImageInputError } from '../errors';
import { nodeImport } from '../node-import';
import { fetchBlob, shorten } from './fetch';

// The slice of sharp's API used here, declared locally so the published types never reference sharp
// (an optional peer dependency that browser users will not have installed).
interface SharpPipeline {
  rotate(): SharpPipeline;
  removeAlpha(): SharpPipeline;
  toColourspace(space: string): SharpPipeline;
  raw(options?: { depth?: 'uchar' }): SharpPipeline;
  toBuffer(options: { resolveWithObject: true }): Promise<{
    data: Uint8Array;
    info: { width: number; height: number; channels: number };
  }>;
}
type SharpFactory = (input: Uint8Array) => SharpPipeline;

export const SHARP_INSTALL_HINT = 'npm install sharp';

let sharpLoading: Promise<SharpFactory> | undefined;

/** Loads sharp on first use; a failed load is not cached so a later install is picked up. */
function loadSharp(): Promise<SharpFactory> {
  sharpLoading ??= nodeImport<unknown>('sharp').then(
    (mod) => ((mod as { default?: unknown }).default ?? mod) as SharpFactory,
    (err: unknown) => {
      sharpLoading = undefined;
      throw new ImageInputError(
        'IMAGE_DECODER_MISSING',
        'Decoding encoded images (file paths, URLs, bytes, Blobs) in Node needs the optional peer dependency ' +
          `"sharp", which could not be loaded. Install it with \`${SHARP_INSTALL_HINT}\`, or pass raw pixels ` +
          '({data, width, height}) or a tf.Tensor3D instead.',
        { cause: err },
      );
    },
  );
  return sharpLoading;
}

/** Decodes PNG/JPEG/WebP/GIF/AVIF/TIFF/… bytes with sharp into an int32 RGB `[H, W, 3]` tensor. */
export async function decodeBytesWithSharp(bytes: Uint8Array, source: string): Promise<tf.Tensor3D> {
  if (bytes.byteLength === 0) {
    throw new ImageInputError('IMAGE_INVALID', `${source} is empty (0 bytes); expected an encoded image.`);
  }
  const sharp = await loadSharp();
  let decoded: Awaited<ReturnType<SharpPipeline['toBuffer']>>;
  try {
    // rotate() with no angle applies the EXIF orientation; srgb turns grey/CMYK into 3-channel RGB and
    // 16-bit into 8-bit; removeAlpha drops (does not composite) the alpha channel.
    decoded = await sharp(bytes)
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ImageInputError(
      'IMAGE_INVALID',
      `${source} could not be decoded as an image (${reason}). Supported encodings: JPEG, PNG, WebP, GIF, ` +
        'AVIF, TIFF, SVG (whatever the installed sharp/libvips reads).',
      { cause: err },
    );
  }
  const { data, info } = decoded;
  if (info.width <= 0 || info.height <= 0) {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `${source} decoded to a zero-size image (${info.width}x${info.height}).`,
    );
  }
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    throw new ImageInputError(
      'IMAGE_INVALID',
      `${source} decoded to ${info.channels} channels / ${data.length} bytes for ${info.width}x${info.height}; ` +
        'expected 8-bit RGB.',
    );
  }
  return tf.tensor3d(Int32Array.from(data), [info.height, info.width, 3], 'int32');
}

const URL_SCHEME = /^(https?|data):/i;
// Two or more letters before the colon, so a Windows drive letter (C:/...) still counts as a path.
const OTHER_SCHEME = /^[a-z][a-z0-9+.-]+:\/\//i;

/** Reads a Node string/URL source: `http(s)://` and `data:` via fetch, `file://` and plain paths via fs. */
export async function readNodeSource(location: string | URL): Promise<{ bytes: Uint8Array; source: string }> {
  const href = typeof location === 'string' ? location : location.href;
  if (href.length === 0) {
    throw new ImageInputError('IMAGE_INVALID', 'Image path is an empty string; expected a file path or URL.');
  }
  if (URL_SCHEME.test(href)) {
    const blob = await fetchBlob(href);
    return { bytes: new Uint8Array(await blob.arrayBuffer()), source: `Image at ${shorten(href)}` };
  }
  let path = href;
  if (/^file:/i.test(href)) {
    const { fileURLToPath } = await nodeImport<typeof import('node:url')>('node:url');
    try {
      path = fileURLToPath(href);
    } catch (err) {
      throw new ImageInputError('IMAGE_INVALID', `"${href}" is not a valid file:// URL.`, { cause: err });
    }
  } else if (typeof location !== 'string' || OTHER_SCHEME.test(href)) {
    const scheme = typeof location === 'string' ? href.slice(0, href.indexOf(':') + 1) : location.protocol;
    throw new ImageInputError(
      'IMAGE_UNSUPPORTED_INPUT',
      `URL scheme "${scheme}" is not supported in Node; use a file path or a file://, http(s):// or data: URL.`,
    );
  }
  const fs = await nodeImport<typeof import('node:fs/promises')>('node:fs/promises');
  try {
    return { bytes: await fs.readFile(path), source: `Image file "${path}"` };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : 'it could not be read';
    throw new ImageInputError(
      'IMAGE_INVALID',
      `Cannot read image file "${path}": ${reason}. Pass an existing image file path, a file:// or ` +
        'http(s):// URL, or the encoded bytes.',
      { cause: err },
    );
  }
}
