/**
 * Fashion-MNIST (Xiao et al. 2017) from IDX files, as shipped by Debian's `dataset-fashion-mnist`.
 * Node-only: node:fs and node:zlib are imported lazily so that importing the package in a browser
 * (for the rest of the data API) does not pull them in.
 */
import type { ImageDataset } from './dataset';
import { DatasetError } from './errors';

export const FASHION_MNIST_LABELS: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Where Debian's `dataset-fashion-mnist` installs the four files. */
export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export type FashionMnistSplit = 'train' | 'test';

export interface FashionMnist {
  /** N·28·28 greyscale pixels, row-major, 0 = background. */
  images: Uint8Array;
  /** N class ids in 0..9, indices into FASHION_MNIST_LABELS. */
  labels: Uint8Array;
  count: number;
  height: 28;
  width: 28;
}

export interface IdxArray {
  dims: number[];
  /** A view into the input bytes (no copy). */
  data: Uint8Array;
}

const IDX_DTYPES: Record<number, string> = {
  8: 'ubyte',
  9: 'byte',
  11: 'short',
  12: 'int',
  13: 'float',
  14: 'double',
};

/**
 * Parse an (un-gzipped) IDX file: 2 zero bytes, a dtype byte, ndim, then ndim big-endian uint32
 * dims and the data. Only ubyte (0x08) is supported — the only type the MNIST family uses.
 */
export function readIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) throw new DatasetError('TRUNCATED', `IDX: ${bytes.length} bytes, the header needs 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    // A gzip magic here is a common mistake worth naming.
    const gz = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (this looks gzipped: gunzip it first)' : '';
    throw new DatasetError('CORRUPT', `IDX: bad magic, the first two bytes must be zero${gz}`);
  }
  const dtype = bytes[2];
  if (dtype !== 0x08) {
    const name = IDX_DTYPES[dtype] ?? 'unknown';
    throw new DatasetError(
      'UNSUPPORTED_DTYPE',
      `IDX: element type 0x${dtype.toString(16).padStart(2, '0')} (${name}) is not supported, only 0x08 (ubyte)`,
    );
  }
  const ndim = bytes[3];
  if (ndim === 0) throw new DatasetError('CORRUPT', 'IDX: zero dimensions');
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes)
    throw new DatasetError(
      'TRUNCATED',
      `IDX: ${bytes.length} bytes, the header of ${ndim} dims needs ${headerBytes}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    size *= d;
  }
  const have = bytes.length - headerBytes;
  if (have < size)
    throw new DatasetError(
      'TRUNCATED',
      `IDX: dims [${dims.join(', ')}] need ${size} data bytes, found ${have}`,
    );
  if (have > size)
    throw new DatasetError(
      'CORRUPT',
      `IDX: dims [${dims.join(', ')}] need ${size} data bytes, found ${have} (trailing bytes)`,
    );
  return { dims, data: bytes.subarray(headerBytes) };
}

const INSTALL_HINT = 'install it with `sudo apt-get install dataset-fashion-mnist`, or pass `--data DIR`';

/** Read `<dir>/<base>.gz`, else `<dir>/<base>`; gunzip if the bytes are gzip. */
async function readMaybeGzipped(dir: string, base: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let bytes: Uint8Array | undefined;
  for (const name of [`${base}.gz`, base]) {
    try {
      const buf = await readFile(join(dir, name));
      // A plain Uint8Array view, not a Buffer, so callers get one type whichever file was read.
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  if (!bytes) {
    const { existsSync } = await import('node:fs');
    const what = existsSync(dir) ? `${base}(.gz) is missing in ${dir}` : `the folder ${dir} does not exist`;
    throw new DatasetError('NOT_FOUND', `Fashion-MNIST not found: ${what}; ${INSTALL_HINT}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const { gunzipSync } = await import('node:zlib');
    try {
      const raw = gunzipSync(bytes);
      return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    } catch (cause) {
      throw new DatasetError('CORRUPT', `Fashion-MNIST: ${base}.gz in ${dir} is not valid gzip`, { cause });
    }
  }
  return bytes;
}

/**
 * Load one split of Fashion-MNIST: `train` (60,000) or `test` (10,000) from the `train-*` or
 * `t10k-*` IDX files, gzipped or not.
 */
export async function loadFashionMnist(
  dir: string = DEFAULT_FASHION_MNIST_DIR,
  split: FashionMnistSplit = 'train',
): Promise<FashionMnist> {
  if (split !== 'train' && split !== 'test')
    throw new DatasetError('INVALID', `Fashion-MNIST split must be 'train' or 'test', got ${String(split)}`);
  const prefix = split === 'train' ? 'train' : 't10k';
  const [imageBytes, labelBytes] = await Promise.all([
    readMaybeGzipped(dir, `${prefix}-images-idx3-ubyte`),
    readMaybeGzipped(dir, `${prefix}-labels-idx1-ubyte`),
  ]);
  const images = readIdx(imageBytes);
  const labels = readIdx(labelBytes);
  const [n, h, w] = images.dims;
  if (images.dims.length !== 3 || h !== 28 || w !== 28)
    throw new DatasetError(
      'CORRUPT',
      `Fashion-MNIST ${split} images: dims [${images.dims}], expected [N, 28, 28]`,
    );
  if (labels.dims.length !== 1 || labels.dims[0] !== n)
    throw new DatasetError(
      'CORRUPT',
      `Fashion-MNIST ${split} labels: dims [${labels.dims}], expected [${n}]`,
    );
  for (let i = 0; i < n; i++)
    if (labels.data[i] >= FASHION_MNIST_LABELS.length)
      throw new DatasetError(
        'CORRUPT',
        `Fashion-MNIST ${split} label ${i} is ${labels.data[i]}, expected 0..9`,
      );
  return { images: images.data, labels: labels.data, count: n, height: 28, width: 28 };
}

/** Load a split as an `ImageDataset` (1 channel, 10 classes). */
export async function loadFashionMnistDataset(
  dir: string = DEFAULT_FASHION_MNIST_DIR,
  split: FashionMnistSplit = 'train',
): Promise<ImageDataset> {
  const d = await loadFashionMnist(dir, split);
  return {
    count: d.count,
    height: d.height,
    width: d.width,
    channels: 1,
    numClasses: FASHION_MNIST_LABELS.length,
    labels: FASHION_MNIST_LABELS.slice(),
    images: d.images,
    targets: d.labels,
  };
}
