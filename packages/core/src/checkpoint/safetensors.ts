/**
 * safetensors reader and writer: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {str: str}}`, then the raw data.
 */
import { CheckpointError } from '../errors';
import {
  checkFloatDType,
  checkpointEntries,
  checkRawArray,
  decodeElements,
  describe,
  encodeElements,
  itemSize,
  q,
  shapeSize,
  writeDType,
} from './codec';
import type { FloatWriteDType, RawArray, RawCheckpoint, StoredDType } from './types';

const ST_TO_DTYPE: Record<string, StoredDType> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I32: 'int32',
  I64: 'int64',
  U8: 'uint8',
  BOOL: 'bool',
};
const DTYPE_TO_ST: Record<StoredDType, string> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  int32: 'I32',
  int64: 'I64',
  uint8: 'U8',
  bool: 'BOOL',
};
// The reference implementation refuses headers above 100 MB; so do we, before allocating anything.
const MAX_HEADER = 100_000_000;

/** True when the bytes look like safetensors: a sane u64 header length followed by '{'. */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 9) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  return hi === 0 && lo >= 2 && lo <= MAX_HEADER && bytes[8] === 0x7b;
}

export interface SafetensorsContents {
  arrays: RawCheckpoint;
  /** The optional `__metadata__` string map. */
  metadata: Record<string, string>;
}

/** Reads a safetensors file with its `__metadata__`. */
export function parseSafetensors(bytes: Uint8Array, label = 'safetensors'): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) {
    throw new CheckpointError('ARGUMENT_INVALID', `${label}: expected a Uint8Array, got ${describe(bytes)}`);
  }
  const corrupt = (msg: string) => new CheckpointError('CHECKPOINT_CORRUPT', `${label}: ${msg}`);
  if (bytes.length < 8) {
    throw new CheckpointError(
      'CHECKPOINT_TRUNCATED',
      `${label}: file is ${bytes.length} bytes, shorter than the 8-byte safetensors header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER) {
    throw corrupt(
      `header length ${hi * 4294967296 + lo} is implausible; at most ${MAX_HEADER} bytes are allowed`,
    );
  }
  const headerLen = lo;
  if (8 + headerLen > bytes.length) {
    throw new CheckpointError(
      'CHECKPOINT_TRUNCATED',
      `${label}: header is ${headerLen} bytes but the file has only ${bytes.length - 8} after the length field`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (cause) {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `${label}: header is not valid UTF-8 JSON (${(cause as Error).message})`,
      {
        cause,
      },
    );
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) {
    throw corrupt(`header must be a JSON object of tensors, got ${describe(header)}`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const arrays: RawCheckpoint = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (
        !info ||
        typeof info !== 'object' ||
        Array.isArray(info) ||
        !Object.values(info).every((v) => typeof v === 'string')
      ) {
        throw corrupt(`__metadata__ must be an object of string values, got ${describe(info)}`);
      }
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    const what = `${label}: tensor ${q(name)}`;
    if (!info || typeof info !== 'object' || Array.isArray(info)) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `${what}: entry must be {dtype, shape, data_offsets}, got ${describe(info)}`,
      );
    }
    const { dtype: stDType, shape, data_offsets: offsets } = info as Record<string, unknown>;
    const dtype =
      typeof stDType === 'string' && Object.hasOwn(ST_TO_DTYPE, stDType) ? ST_TO_DTYPE[stDType] : undefined;
    if (!dtype) {
      throw new CheckpointError(
        'CHECKPOINT_UNSUPPORTED_DTYPE',
        `${what}: dtype ${describe(stDType)} is not supported; allowed: ${Object.keys(ST_TO_DTYPE).join(', ')}`,
      );
    }
    const count = shapeSize(shape, what);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `${what}: data_offsets ${describe(offsets)} must be [begin, end] with 0 <= begin <= end`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const expected = count * itemSize(dtype);
    if (end - begin !== expected) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `${what}: data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape [${(shape as number[]).join(', ')}] of ${stDType} needs ${expected}`,
      );
    }
    if (end > dataLen) {
      throw new CheckpointError(
        'CHECKPOINT_TRUNCATED',
        `${what}: data_offsets [${begin}, ${end}] run past the ${dataLen}-byte data section; the file is truncated or the offsets are wrong`,
      );
    }
    arrays.set(name, {
      dtype,
      shape: [...(shape as number[])],
      data: decodeElements(bytes, dataStart + begin, count, dtype, true, what),
    });
  }
  return { arrays, metadata };
}

/** Reads a safetensors file. */
export function readSafetensors(bytes: Uint8Array, label?: string): RawCheckpoint {
  return parseSafetensors(bytes, label).arrays;
}

export interface WriteSafetensorsOptions {
  /** Precision for float arrays (default: each array's own dtype). */
  dtype?: FloatWriteDType;
  /** Stored as `__metadata__`; values must be strings. */
  metadata?: Record<string, string>;
}

/** Writes arrays as a safetensors file (header padded with spaces to an 8-byte boundary). */
export function writeSafetensors(
  ckpt: RawCheckpoint | Record<string, RawArray>,
  opts: WriteSafetensorsOptions = {},
): Uint8Array {
  const dtype = checkFloatDType(opts.dtype, ['float32', 'float16', 'bfloat16'], 'writeSafetensors');
  const header: Record<string, unknown> = {};
  if (opts.metadata !== undefined) {
    const m = opts.metadata;
    if (
      !m ||
      typeof m !== 'object' ||
      Array.isArray(m) ||
      !Object.values(m).every((v) => typeof v === 'string')
    ) {
      throw new CheckpointError(
        'ARGUMENT_INVALID',
        `writeSafetensors: metadata must be an object of string values, got ${describe(m)}`,
      );
    }
    header.__metadata__ = { ...m };
  }
  const entries: { name: string; st: string; shape: number[]; body: Uint8Array; size: number }[] = [];
  for (const [name, arr] of checkpointEntries(ckpt)) {
    if (typeof name !== 'string' || name.length === 0 || name === '__metadata__') {
      throw new CheckpointError(
        'ARGUMENT_INVALID',
        `writeSafetensors: array name ${describe(name)} is not allowed; names must be non-empty and not '__metadata__'`,
      );
    }
    checkRawArray(name, arr);
    const outDType = writeDType(arr, dtype);
    entries.push({
      name,
      st: DTYPE_TO_ST[outDType],
      shape: [...arr.shape],
      body: encodeElements(arr, outDType),
      size: itemSize(outDType),
    });
  }
  // Lay the data out widest dtype first (stable), so with the 8-aligned data start every tensor
  // is aligned to its element size and readers can view it without copying. Header keeps input order.
  const layout = [...entries].sort((a, b) => b.size - a.size);
  const offsets = new Map<string, [number, number]>();
  let offset = 0;
  for (const e of layout) {
    offsets.set(e.name, [offset, offset + e.body.length]);
    offset += e.body.length;
  }
  for (const e of entries)
    header[e.name] = { dtype: e.st, shape: e.shape, data_offsets: offsets.get(e.name) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  for (const e of layout) out.set(e.body, 8 + padded + offsets.get(e.name)![0]);
  return out;
}
