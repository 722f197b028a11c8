/**
 * NumPy `.npy` reader and writer (format versions 1.0, 2.0 and 3.0), on plain Uint8Arrays.
 */
import { CheckpointError } from '../errors';
import {
  checkFloatDType,
  checkRawArray,
  decodeElements,
  describe,
  encodeElements,
  itemSize,
  q,
  shapeSize,
  writeDType,
} from './codec';
import { type PyDict, PyLiteralError, parsePyLiteral } from './pyliteral';
import type { FloatWriteDType, RawArray, StoredDType } from './types';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** True when `bytes` starts with the .npy magic. */
export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((b, i) => bytes[i] === b);
}

// Type codes (without the byte-order character) the reader understands.
const DESCR_TYPES: Record<string, StoredDType> = {
  f4: 'float32',
  f2: 'float16',
  f8: 'float64',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  b1: 'bool',
  V2: 'bfloat16', // ml_dtypes bfloat16 arrays are saved as a 2-byte void
  bfloat16: 'bfloat16',
};
const ALLOWED_DESCRS =
  "'<f4', '<f2', '<f8', '<i4', '<i8', '|u1', '|b1', bfloat16 ('<V2', '|V2' or 'bfloat16'), or their '>' big-endian forms";

const WRITE_DESCR: Record<StoredDType, string> = {
  float32: '<f4',
  float16: '<f2',
  bfloat16: '<V2',
  float64: '<f8',
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  bool: '|b1',
};

function parseDescr(descr: unknown, what: string): { dtype: StoredDType; littleEndian: boolean } {
  if (typeof descr !== 'string') {
    throw new CheckpointError(
      'CHECKPOINT_UNSUPPORTED_DTYPE',
      `${what}: dtype ${describe(descr)} is a structured or unknown dtype; allowed: ${ALLOWED_DESCRS}`,
    );
  }
  let order = '';
  let code = descr;
  if (/^[<>|=]/.test(descr)) {
    order = descr[0];
    code = descr.slice(1);
  }
  const dtype = Object.hasOwn(DESCR_TYPES, code) ? DESCR_TYPES[code] : undefined;
  if (!dtype) {
    throw new CheckpointError(
      'CHECKPOINT_UNSUPPORTED_DTYPE',
      `${what}: dtype ${describe(descr)} is not supported; allowed: ${ALLOWED_DESCRS}`,
    );
  }
  return { dtype, littleEndian: order !== '>' };
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return s;
}

/** Reorders column-major (Fortran) data into row-major (C) order. */
function fortranToC<T extends RawArray['data']>(src: T, shape: number[]): T {
  const nd = shape.length;
  const n = src.length;
  if (nd <= 1 || n === 0) return src;
  const out = new (src.constructor as { new (n: number): T })(n);
  const fstride: number[] = [1];
  for (let i = 1; i < nd; i++) fstride[i] = fstride[i - 1] * shape[i - 1];
  const idx = new Array<number>(nd).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = src[off];
    // Advance the C-order odometer (last axis fastest) and track the Fortran offset.
    for (let ax = nd - 1; ax >= 0; ax--) {
      idx[ax]++;
      off += fstride[ax];
      if (idx[ax] < shape[ax]) break;
      off -= fstride[ax] * shape[ax];
      idx[ax] = 0;
    }
  }
  return out;
}

/**
 * Parses one .npy file. `name` is used in error messages (e.g. the npz entry name).
 * Floats are decoded to Float32Array; fortran-ordered arrays are returned in C order.
 */
export function parseNpy(bytes: Uint8Array, name = 'array.npy'): RawArray {
  const what = `npy ${q(name)}`;
  if (!(bytes instanceof Uint8Array)) {
    throw new CheckpointError('ARGUMENT_INVALID', `${what}: expected a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length < 10) {
    if (MAGIC.slice(0, Math.min(6, bytes.length)).every((b, i) => bytes[i] === b)) {
      throw new CheckpointError(
        'CHECKPOINT_TRUNCATED',
        `${what}: file is ${bytes.length} bytes, shorter than the 10-byte .npy preamble`,
      );
    }
    throw new CheckpointError(
      'CHECKPOINT_UNKNOWN_FORMAT',
      `${what}: not a .npy file (expected magic \\x93NUMPY)`,
    );
  }
  if (!isNpy(bytes)) {
    throw new CheckpointError(
      'CHECKPOINT_UNKNOWN_FORMAT',
      `${what}: not a .npy file (expected magic \\x93NUMPY)`,
    );
  }
  const major = bytes[6];
  const minor = bytes[7];
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) {
    throw new CheckpointError(
      'CHECKPOINT_UNKNOWN_FORMAT',
      `${what}: .npy format version ${major}.${minor} is not supported; allowed: 1.0, 2.0, 3.0`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else {
    headerStart = 12;
    if (bytes.length < 12) {
      throw new CheckpointError(
        'CHECKPOINT_TRUNCATED',
        `${what}: file ends inside the .npy v${major} preamble`,
      );
    }
    headerLen = view.getUint32(8, true);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw new CheckpointError(
      'CHECKPOINT_TRUNCATED',
      `${what}: header says it is ${headerLen} bytes but the file has only ${bytes.length - headerStart} after the preamble`,
    );
  }
  const headerBytes = bytes.subarray(headerStart, dataStart);
  let headerText: string;
  if (major === 3) {
    try {
      headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch (cause) {
      throw new CheckpointError('CHECKPOINT_CORRUPT', `${what}: v3.0 header is not valid UTF-8`, { cause });
    }
  } else {
    headerText = latin1(headerBytes);
  }

  let header: PyDict;
  try {
    const parsed = parsePyLiteral(headerText);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new PyLiteralError('not a dict');
    header = parsed;
  } catch (cause) {
    const detail = cause instanceof PyLiteralError ? cause.message : String(cause);
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `${what}: header is not a valid Python dict literal (${detail}); expected {'descr': ..., 'fortran_order': ..., 'shape': (...)}`,
      { cause },
    );
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in header)) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `${what}: header has no '${key}' key; a .npy header needs 'descr', 'fortran_order' and 'shape'`,
      );
    }
  }
  const { dtype, littleEndian } = parseDescr(header.descr, what);
  if (typeof header.fortran_order !== 'boolean') {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `${what}: 'fortran_order' is ${describe(header.fortran_order)}; it must be True or False`,
    );
  }
  const shape = header.shape;
  if (!Array.isArray(shape)) {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `${what}: 'shape' is ${describe(shape)}; it must be a tuple of non-negative integers`,
    );
  }
  const count = shapeSize(shape, what);
  const needed = count * itemSize(dtype);
  const available = bytes.length - dataStart;
  if (needed > available) {
    throw new CheckpointError(
      'CHECKPOINT_TRUNCATED',
      `${what}: shape (${shape.join(', ')}) of ${dtype} needs ${needed} data bytes but only ${available} are present`,
    );
  }
  let data = decodeElements(bytes, dataStart, count, dtype, littleEndian, what);
  const dims = shape as number[];
  if (header.fortran_order) data = fortranToC(data, dims);
  return { dtype, shape: [...dims], data };
}

function formatShape(shape: number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * Serialises one array as .npy (v1.0, or v2.0 if the header would not fit), C order, little-endian.
 * `dtype` picks the precision of float arrays (default: the array's own dtype); other arrays keep theirs.
 * bfloat16 is stored as '<V2' (raw bf16 bits), which is how ml_dtypes arrays land in .npy files.
 */
export function encodeNpy(arr: RawArray, dtype?: FloatWriteDType, name = 'array'): Uint8Array {
  checkRawArray(name, arr);
  const floatDType = checkFloatDType(dtype, ['float32', 'float16', 'bfloat16'], `npy ${q(name)}`);
  const outDType = writeDType(arr, floatDType);
  const body = encodeElements(arr, outDType);
  const dict = `{'descr': '${WRITE_DESCR[outDType]}', 'fortran_order': False, 'shape': ${formatShape(arr.shape)}, }`;
  // Pad with spaces so the data starts 64-byte aligned, as numpy does; the header ends in '\n'.
  let preamble = 10;
  let total = preamble + dict.length + 1;
  if (total + 63 > 10 + 0xffff) {
    preamble = 12;
    total = preamble + dict.length + 1;
  }
  const pad = (64 - (total % 64)) % 64;
  const header = dict + ' '.repeat(pad) + '\n';
  const out = new Uint8Array(preamble + header.length + body.length);
  out.set(MAGIC, 0);
  out[6] = preamble === 10 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (preamble === 10) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  out.set(body, preamble + header.length);
  return out;
}
