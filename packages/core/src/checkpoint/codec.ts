/**
 * Shared element codecs: raw little/big-endian bytes <-> the decoded typed arrays of a RawArray.
 * Callers validate offsets first; these helpers re-check bounds so a slip can never become a RangeError.
 */
import { CheckpointError } from '../errors';
import { bf16BitsToFloat32, float32ToBf16Bits, float32ToHalfBits, halfBitsToFloat32 } from './half';
import type { FloatWriteDType, RawArray, RawCheckpoint, StoredDType } from './types';

export const STORED_DTYPES: readonly StoredDType[] = [
  'float32',
  'float16',
  'bfloat16',
  'float64',
  'int32',
  'int64',
  'uint8',
  'bool',
];

const ITEM_SIZE: Record<StoredDType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int32: 4,
  int64: 8,
  uint8: 1,
  bool: 1,
};

export function itemSize(dtype: StoredDType): number {
  return ITEM_SIZE[dtype];
}

export function isFloatDType(dtype: StoredDType): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float64';
}

const PLATFORM_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Quotes a name for error messages, keeping control characters and huge names from garbling them. */
export function q(name: string): string {
  const s = name.length > 200 ? name.slice(0, 200) + '…' : name;
  return JSON.stringify(s);
}

/**
 * Validates a shape read from a file (non-negative safe integers) and returns its element count.
 * `what` names the array for the error message.
 */
export function shapeSize(shape: unknown, what: string): number {
  if (!Array.isArray(shape)) {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `${what}: shape must be a list of non-negative integers, got ${describe(shape)}`,
    );
  }
  if (shape.length > 64) {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `${what}: shape has ${shape.length} dims; at most 64 are allowed`,
    );
  }
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `${what}: shape ${describe(shape)} has an invalid dimension ${describe(d)}; dimensions must be non-negative integers`,
      );
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `${what}: shape ${describe(shape)} has too many elements`,
    );
  }
  return n;
}

export function describe(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    if (s === undefined) return String(v);
    return s.length > 120 ? s.slice(0, 120) + '…' : s;
  } catch {
    return String(v);
  }
}

/** Copies `count` elements of `size` bytes at `offset` into a fresh, aligned buffer, swapping byte order if needed. */
function alignedCopy(
  bytes: Uint8Array,
  offset: number,
  count: number,
  size: number,
  littleEndian: boolean,
): ArrayBuffer {
  const len = count * size;
  const out = new Uint8Array(len);
  out.set(bytes.subarray(offset, offset + len));
  if (size > 1 && littleEndian !== PLATFORM_LE) {
    for (let i = 0; i < len; i += size) {
      for (let a = i, b = i + size - 1; a < b; a++, b--) {
        const t = out[a];
        out[a] = out[b];
        out[b] = t;
      }
    }
  }
  return out.buffer;
}

/**
 * Decodes `count` elements of `dtype` from `bytes` at `offset`.
 * Floats become Float32Array, int32/int64 Int32Array (int64 range-checked), uint8/bool Uint8Array.
 */
export function decodeElements(
  bytes: Uint8Array,
  offset: number,
  count: number,
  dtype: StoredDType,
  littleEndian: boolean,
  what: string,
): RawArray['data'] {
  const size = ITEM_SIZE[dtype];
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + count * size > bytes.length) {
    throw new CheckpointError(
      'CHECKPOINT_TRUNCATED',
      `${what}: needs ${count * size} bytes of ${dtype} data at offset ${offset}, but only ${Math.max(0, bytes.length - offset)} remain`,
    );
  }
  const buf = alignedCopy(bytes, offset, count, size, littleEndian);
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf);
    case 'float64':
      return Float32Array.from(new Float64Array(buf));
    case 'float16':
      return halfBitsToFloat32(new Uint16Array(buf));
    case 'bfloat16':
      return bf16BitsToFloat32(new Uint16Array(buf));
    case 'int32':
      return new Int32Array(buf);
    case 'int64': {
      // Little-endian 64-bit words after alignedCopy's swap: low word first on an LE platform.
      const w = new Int32Array(buf);
      const out = new Int32Array(count);
      const lo = PLATFORM_LE ? 0 : 1;
      for (let i = 0; i < count; i++) {
        const low = w[2 * i + lo];
        const high = w[2 * i + 1 - lo];
        // In int32 range exactly when the high word is the sign extension of the low word.
        if (high !== low >> 31) {
          const value = BigInt(high) * 4294967296n + BigInt(low >>> 0);
          throw new CheckpointError(
            'CHECKPOINT_UNSUPPORTED_DTYPE',
            `${what}: int64 value ${value} at element ${i} does not fit in int32; int64 arrays are read as int32 and must stay within [-2147483648, 2147483647]`,
          );
        }
        out[i] = low;
      }
      return out;
    }
    case 'uint8':
      return new Uint8Array(buf);
    case 'bool': {
      const out = new Uint8Array(buf);
      for (let i = 0; i < out.length; i++) out[i] = out[i] ? 1 : 0;
      return out;
    }
  }
}

/** Checks that an array handed to a writer is consistent (dtype, typed-array kind, shape vs length). */
export function checkRawArray(name: string, arr: RawArray): void {
  if (!arr || typeof arr !== 'object') {
    throw new CheckpointError(
      'ARGUMENT_INVALID',
      `array ${q(name)} is ${describe(arr)}; expected {dtype, shape, data}`,
    );
  }
  if (!STORED_DTYPES.includes(arr.dtype)) {
    throw new CheckpointError(
      'CHECKPOINT_UNSUPPORTED_DTYPE',
      `array ${q(name)} has dtype ${describe(arr.dtype)}; allowed: ${STORED_DTYPES.join(', ')}`,
    );
  }
  const n = shapeSize(arr.shape, `array ${q(name)}`);
  const want = isFloatDType(arr.dtype)
    ? Float32Array
    : arr.dtype === 'int32' || arr.dtype === 'int64'
      ? Int32Array
      : Uint8Array;
  if (!(arr.data instanceof want)) {
    throw new CheckpointError(
      'ARGUMENT_INVALID',
      `array ${q(name)} has dtype ${arr.dtype}, so its data must be a ${want.name}, got ${arr.data?.constructor?.name ?? typeof arr.data}`,
    );
  }
  if (arr.data.length !== n) {
    throw new CheckpointError(
      'CHECKPOINT_SHAPE_MISMATCH',
      `array ${q(name)} has shape [${arr.shape.join(', ')}] (${n} elements) but its data holds ${arr.data.length}`,
    );
  }
}

/** The dtype a writer stores an array in: float arrays follow `floatDType` when given, everything else keeps its dtype. */
export function writeDType(arr: RawArray, floatDType: FloatWriteDType | undefined): StoredDType {
  return floatDType && isFloatDType(arr.dtype) ? floatDType : arr.dtype;
}

/** Checks a user-supplied float write dtype. */
export function checkFloatDType(
  dtype: unknown,
  allowed: readonly FloatWriteDType[],
  where: string,
): FloatWriteDType | undefined {
  if (dtype === undefined) return undefined;
  if (typeof dtype !== 'string' || !(allowed as readonly string[]).includes(dtype)) {
    throw new CheckpointError(
      'CHECKPOINT_UNSUPPORTED_DTYPE',
      `${where}: dtype ${describe(dtype)} cannot be written; allowed: ${allowed.join(', ')}`,
    );
  }
  return dtype as FloatWriteDType;
}

/** Encodes an already-checked array as little-endian bytes of `dtype`. */
export function encodeElements(arr: RawArray, dtype: StoredDType): Uint8Array {
  const data = arr.data;
  let out: Uint8Array;
  switch (dtype) {
    case 'float32':
      out = new Uint8Array(Float32Array.from(data as Float32Array).buffer);
      break;
    case 'float64':
      out = new Uint8Array(Float64Array.from(data as Float32Array).buffer);
      break;
    case 'float16':
      out = new Uint8Array(float32ToHalfBits(data as Float32Array).buffer);
      break;
    case 'bfloat16':
      out = new Uint8Array(float32ToBf16Bits(data as Float32Array).buffer);
      break;
    case 'int32':
      out = new Uint8Array(Int32Array.from(data as Int32Array).buffer);
      break;
    case 'int64': {
      const w = new Int32Array(data.length * 2);
      const lo = PLATFORM_LE ? 0 : 1;
      for (let i = 0; i < data.length; i++) {
        w[2 * i + lo] = data[i];
        w[2 * i + 1 - lo] = data[i] < 0 ? -1 : 0;
      }
      out = new Uint8Array(w.buffer);
      break;
    }
    case 'uint8':
      return Uint8Array.from(data as Uint8Array);
    case 'bool':
      return Uint8Array.from(data as Uint8Array, (v) => (v ? 1 : 0));
  }
  if (!PLATFORM_LE) {
    // Typed arrays above used native order; files are little-endian.
    const size = ITEM_SIZE[dtype];
    out = new Uint8Array(alignedCopy(out, 0, out.length / size, size, true)); // swaps native BE to LE
  }
  return out;
}

/** Accepts a Map or a plain record of arrays and returns ordered entries. */
export function checkpointEntries(ckpt: RawCheckpoint | Record<string, RawArray>): [string, RawArray][] {
  if (ckpt instanceof Map) return [...ckpt.entries()];
  if (ckpt && typeof ckpt === 'object') return Object.entries(ckpt);
  throw new CheckpointError(
    'ARGUMENT_INVALID',
    `a checkpoint must be a Map or a record of arrays, got ${describe(ckpt)}`,
  );
}
