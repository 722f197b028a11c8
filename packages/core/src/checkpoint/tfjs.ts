/**
 * The TF.js web weights format: `model.json` with a `weightsManifest`, plus binary shard files.
 * Within a group, weights are concatenated in manifest order and the bytes are split across the
 * group's shards at arbitrary points; groups follow one another in manifest order.
 */
import { CheckpointError } from '../errors';
import {
  checkFloatDType,
  checkpointEntries,
  checkRawArray,
  decodeElements,
  describe,
  encodeElements,
  q,
  shapeSize,
} from './codec';
import type {
  RawArray,
  RawCheckpoint,
  StoredDType,
  TfjsModelJson,
  TfjsWeightEntry,
  TfjsWeightGroup,
  TfjsWeightsManifest,
} from './types';

const WEIGHT_DTYPES = ['float32', 'int32', 'bool'];
const QUANT_DTYPES = ['float16', 'uint8', 'uint16'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Checks the structure of a weights manifest (not the dtypes, which are checked when decoding). */
export function checkTfjsManifest(manifest: unknown, label = 'model.json'): TfjsWeightsManifest {
  const corrupt = (msg: string) => new CheckpointError('CHECKPOINT_CORRUPT', `${label}: ${msg}`);
  if (!Array.isArray(manifest)) {
    throw corrupt(`weightsManifest must be a list of {paths, weights} groups, got ${describe(manifest)}`);
  }
  manifest.forEach((group, g) => {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw corrupt(
        `weightsManifest[${g}] must be {paths: string[], weights: [...]}, got ${describe(group)}`,
      );
    }
    for (const p of group.paths) {
      if (typeof p !== 'string' || p.length === 0) {
        throw corrupt(
          `weightsManifest[${g}].paths holds ${describe(p)}; shard paths must be non-empty strings`,
        );
      }
    }
    group.weights.forEach((w: unknown, i: number) => {
      if (
        !isRecord(w) ||
        typeof w.name !== 'string' ||
        !Array.isArray(w.shape) ||
        typeof w.dtype !== 'string'
      ) {
        throw corrupt(`weightsManifest[${g}].weights[${i}] must be {name, shape, dtype}, got ${describe(w)}`);
      }
      if (w.quantization !== undefined && !isRecord(w.quantization)) {
        throw corrupt(`weight ${q(w.name)}: quantization must be an object, got ${describe(w.quantization)}`);
      }
    });
  });
  return manifest as TfjsWeightsManifest;
}

/** Parses and checks a model.json given as bytes, text or an already-parsed object. */
export function parseTfjsModelJson(input: Uint8Array | string | object, label = 'model.json'): TfjsModelJson {
  let obj: unknown = input;
  if (input instanceof Uint8Array || typeof input === 'string') {
    try {
      const text =
        typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
      obj = JSON.parse(text);
    } catch (cause) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `${label}: not valid UTF-8 JSON (${(cause as Error).message}); a TF.js model.json is expected`,
        { cause },
      );
    }
  }
  if (!isRecord(obj) || !('weightsManifest' in obj)) {
    throw new CheckpointError(
      'CHECKPOINT_UNKNOWN_FORMAT',
      `${label}: JSON has no 'weightsManifest'; a TF.js model.json is expected`,
    );
  }
  checkTfjsManifest(obj.weightsManifest, label);
  return obj as TfjsModelJson;
}

interface WeightLayout {
  entry: TfjsWeightEntry;
  count: number;
  /** How the bytes are stored. */
  stored: StoredDType | 'uint16';
  bytes: number;
}

function layoutOf(w: TfjsWeightEntry, label: string): WeightLayout {
  const what = `${label}: weight ${q(w.name)}`;
  const count = shapeSize(w.shape, what);
  if (!WEIGHT_DTYPES.includes(w.dtype)) {
    throw new CheckpointError(
      'CHECKPOINT_UNSUPPORTED_DTYPE',
      `${what}: dtype ${describe(w.dtype)} is not supported; allowed: ${WEIGHT_DTYPES.join(', ')}`,
    );
  }
  const quant = w.quantization;
  if (!quant) {
    const stored: StoredDType = w.dtype === 'bool' ? 'bool' : (w.dtype as StoredDType);
    return { entry: w, count, stored, bytes: count * (stored === 'bool' ? 1 : 4) };
  }
  if (!QUANT_DTYPES.includes(quant.dtype)) {
    throw new CheckpointError(
      'CHECKPOINT_UNSUPPORTED_DTYPE',
      `${what}: quantization dtype ${describe(quant.dtype)} is not supported; allowed: ${QUANT_DTYPES.join(', ')}`,
    );
  }
  if (w.dtype === 'bool' || (quant.dtype === 'float16' && w.dtype !== 'float32')) {
    throw new CheckpointError(
      'CHECKPOINT_UNSUPPORTED_DTYPE',
      `${what}: ${quant.dtype} quantization of a ${w.dtype} weight is not supported; float16 applies to float32 weights, uint8/uint16 to float32 or int32`,
    );
  }
  if (quant.dtype !== 'float16') {
    for (const k of ['scale', 'min'] as const) {
      if (typeof quant[k] !== 'number' || !Number.isFinite(quant[k])) {
        throw new CheckpointError(
          'CHECKPOINT_CORRUPT',
          `${what}: ${quant.dtype} quantization needs a finite '${k}', got ${describe(quant[k])}`,
        );
      }
    }
  }
  const stored = quant.dtype === 'float16' ? 'float16' : quant.dtype === 'uint8' ? 'uint8' : 'uint16';
  return { entry: w, count, stored, bytes: count * (stored === 'uint8' ? 1 : 2) };
}

function decodeWeight(bytes: Uint8Array, offset: number, l: WeightLayout, label: string): RawArray {
  const w = l.entry;
  const what = `${label}: weight ${q(w.name)}`;
  const shape = [...w.shape];
  if (l.stored === 'uint8' || l.stored === 'uint16') {
    const scale = w.quantization!.scale!;
    const min = w.quantization!.min!;
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, l.bytes);
    const get =
      l.stored === 'uint8' ? (i: number) => view.getUint8(i) : (i: number) => view.getUint16(2 * i, true);
    if (w.dtype === 'int32') {
      const out = new Int32Array(l.count);
      for (let i = 0; i < l.count; i++) out[i] = Math.round(get(i) * scale + min);
      return { dtype: 'int32', shape, data: out };
    }
    const out = new Float32Array(l.count);
    for (let i = 0; i < l.count; i++) out[i] = get(i) * scale + min;
    return { dtype: 'float32', shape, data: out };
  }
  return { dtype: l.stored, shape, data: decodeElements(bytes, offset, l.count, l.stored, true, what) };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Decodes the weights of a manifest from its shard files, given in manifest order
 * (all of group 1's paths, then group 2's, ...). Dequantizes uint8/uint16 (`q * scale + min`) and float16.
 */
export function decodeTfjsWeights(
  manifest: TfjsWeightsManifest,
  shardBuffers: Uint8Array[],
  label = 'model.json',
): RawCheckpoint {
  checkTfjsManifest(manifest, label);
  const nPaths = manifest.reduce((n, g) => n + g.paths.length, 0);
  if (!Array.isArray(shardBuffers) || shardBuffers.length !== nPaths) {
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `${label}: the manifest lists ${nPaths} shard files but ${Array.isArray(shardBuffers) ? shardBuffers.length : describe(shardBuffers)} shard buffers were given`,
    );
  }
  const out: RawCheckpoint = new Map();
  let s = 0;
  manifest.forEach((group: TfjsWeightGroup, g) => {
    const parts = shardBuffers.slice(s, s + group.paths.length);
    s += group.paths.length;
    parts.forEach((p, i) => {
      if (!(p instanceof Uint8Array)) {
        throw new CheckpointError(
          'ARGUMENT_INVALID',
          `${label}: shard ${q(group.paths[i])} must be a Uint8Array`,
        );
      }
    });
    const bytes = concat(parts);
    const shardNames = group.paths.join(', ');
    let offset = 0;
    for (const w of group.weights) {
      const l = layoutOf(w, label);
      if (offset + l.bytes > bytes.length) {
        throw new CheckpointError(
          'CHECKPOINT_TRUNCATED',
          `${label}: weight ${q(w.name)} needs bytes ${offset}..${offset + l.bytes} of weight group ${g + 1}, but its shards (${shardNames}) hold only ${bytes.length} bytes; a shard is truncated or the manifest does not match it`,
        );
      }
      if (out.has(w.name)) {
        throw new CheckpointError(
          'CHECKPOINT_CORRUPT',
          `${label}: weight ${q(w.name)} appears twice in the manifest`,
        );
      }
      out.set(w.name, decodeWeight(bytes, offset, l, label));
      offset += l.bytes;
    }
    if (offset !== bytes.length) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `${label}: weight group ${g + 1} shards (${shardNames}) hold ${bytes.length} bytes but its manifest weights take ${offset}; the manifest does not match the shards`,
      );
    }
  });
  return out;
}

export interface EncodeTfjsOptions {
  /** Store float weights as float32 or as float16-quantized (default: float16 only for float16 arrays). */
  dtype?: 'float32' | 'float16';
  /** Maximum bytes per shard file (default 4 MiB, as the TF.js converter uses). */
  shardBytes?: number;
  /** Stored as `userDefinedMetadata`. */
  metadata?: Record<string, unknown>;
  /** The `format` field of model.json (default 'weights-only'). */
  format?: string;
  /** Optional model topology to embed. */
  modelTopology?: unknown;
}

export interface TfjsModelFiles {
  modelJson: TfjsModelJson;
  shards: { name: string; data: Uint8Array }[];
}

/**
 * Encodes arrays in the TF.js web format: one weight group, split into `group1-shardKofN.bin` files.
 * TF.js weights are float32/int32/bool, so float64/bfloat16 are stored as float32, int64/uint8 as int32.
 */
export function encodeTfjsModel(
  ckpt: RawCheckpoint | Record<string, RawArray>,
  opts: EncodeTfjsOptions = {},
): TfjsModelFiles {
  const dtype = checkFloatDType(opts.dtype, ['float32', 'float16'], 'encodeTfjsModel');
  const shardBytes = opts.shardBytes ?? 4 * 1024 * 1024;
  if (!Number.isSafeInteger(shardBytes) || shardBytes < 1) {
    throw new CheckpointError(
      'ARGUMENT_INVALID',
      `encodeTfjsModel: shardBytes must be a positive integer, got ${describe(opts.shardBytes)}`,
    );
  }
  const weights: TfjsWeightEntry[] = [];
  const bodies: Uint8Array[] = [];
  for (const [name, arr] of checkpointEntries(ckpt)) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new CheckpointError(
        'ARGUMENT_INVALID',
        `encodeTfjsModel: array names must be non-empty strings, got ${describe(name)}`,
      );
    }
    checkRawArray(name, arr);
    const shape = [...arr.shape];
    switch (arr.dtype) {
      case 'float32':
      case 'float16':
      case 'bfloat16':
      case 'float64': {
        const half = (dtype ?? (arr.dtype === 'float16' ? 'float16' : 'float32')) === 'float16';
        weights.push(
          half
            ? { name, shape, dtype: 'float32', quantization: { dtype: 'float16' } }
            : { name, shape, dtype: 'float32' },
        );
        bodies.push(encodeElements(arr, half ? 'float16' : 'float32'));
        break;
      }
      case 'int32':
      case 'int64':
        weights.push({ name, shape, dtype: 'int32' });
        bodies.push(encodeElements(arr, 'int32'));
        break;
      case 'uint8':
        weights.push({ name, shape, dtype: 'int32' });
        bodies.push(encodeElements({ ...arr, dtype: 'int32', data: Int32Array.from(arr.data) }, 'int32'));
        break;
      case 'bool':
        weights.push({ name, shape, dtype: 'bool' });
        bodies.push(encodeElements(arr, 'bool'));
        break;
    }
  }
  const all = concat(bodies.length ? bodies : [new Uint8Array(0)]);
  const n = Math.ceil(all.length / shardBytes);
  const shards: TfjsModelFiles['shards'] = [];
  for (let i = 0; i < n; i++) {
    shards.push({
      name: `group1-shard${i + 1}of${n}.bin`,
      data: all.subarray(i * shardBytes, Math.min(all.length, (i + 1) * shardBytes)),
    });
  }
  const modelJson: TfjsModelJson = {
    format: opts.format ?? 'weights-only',
    generatedBy: '@flexivit/core',
    convertedBy: null,
    ...(opts.modelTopology !== undefined ? { modelTopology: opts.modelTopology } : {}),
    weightsManifest: [{ paths: shards.map((s) => s.name), weights }],
    ...(opts.metadata !== undefined ? { userDefinedMetadata: opts.metadata } : {}),
  };
  return { modelJson, shards };
}
