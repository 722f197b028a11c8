import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float32ToBf16Bits, float32ToHalfBits } from '../src/checkpoint/half';
import {
  bf16ToFloat,
  decodeTfjsWeights,
  detectFormat,
  encodeNpy,
  encodeTfjsModel,
  floatToBf16,
  floatToHalf,
  halfToFloat,
  parseNpy,
  parseSafetensors,
  readCheckpoint,
  readNpz,
  readSafetensors,
  writeCheckpoint,
  writeNpz,
  writeSafetensors,
} from '../src/checkpoint/index';
import type { RawArray, RawCheckpoint, TfjsWeightsManifest } from '../src/checkpoint/types';
import { CheckpointError } from '../src/errors';
import * as FX from './checkpoint-fixtures';
import {
  expectCheckpointError,
  expectCheckpointErrorAsync,
  expectOnlyCheckpointErrors,
  f32,
  fromB64,
  randomFloats,
  rng,
} from './checkpoint-helpers';
import { useCpu } from './setup';

const FIXTURE = resolve(__dirname, '../../../test/fixtures/parity/flexivit-tiny.npz');

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Builds a .npy file by hand from a header dict text, version and raw data bytes. */
function handNpy(
  header: string,
  data: Uint8Array,
  major = 1,
  encoding: 'latin1' | 'utf8' = 'latin1',
): Uint8Array {
  const h =
    encoding === 'utf8' ? new TextEncoder().encode(header) : Uint8Array.from(header, (c) => c.charCodeAt(0));
  const pre = major === 1 ? 10 : 12;
  const out = new Uint8Array(pre + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(data, pre + h.length);
  return out;
}

function bytesOf(a: Float32Array | Int32Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A small checkpoint with every dtype, used for round trips and truncation sweeps. */
function mixedCheckpoint(): RawCheckpoint {
  return new Map<string, RawArray>([
    ['params/embedding/kernel', f32([2, 2, 3, 4], 1)],
    ['params/cls', f32([1, 1, 4], 2)],
    ['scalar', { dtype: 'float32', shape: [], data: new Float32Array([3.5]) }],
    ['empty', { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) }],
    ['step', { dtype: 'int32', shape: [2], data: new Int32Array([7, -2147483648]) }],
    ['big', { dtype: 'int64', shape: [3], data: new Int32Array([-1, 2147483647, 0]) }],
    ['pixels', { dtype: 'uint8', shape: [2, 2], data: new Uint8Array([0, 1, 128, 255]) }],
    ['mask', { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) }],
  ]);
}

function expectSameCheckpoint(got: RawCheckpoint, want: RawCheckpoint, floatDType?: string): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [name, w] of want) {
    const g = got.get(name)!;
    expect(g.shape, name).toEqual(w.shape);
    expect(g.data.constructor, name).toBe(w.data.constructor);
    if (floatDType && w.data instanceof Float32Array) {
      expect(g.dtype, name).toBe(floatDType);
      expectRounded(g.data as Float32Array, w.data, floatDType);
    } else {
      expect(g.dtype, name).toBe(w.dtype);
      expect(Array.from(g.data), name).toEqual(Array.from(w.data));
    }
  }
}

/** Checks decoded values against an independent rounding (bit-level) and the format's precision. */
function expectRounded(got: Float32Array, orig: Float32Array, dtype: string): void {
  if (dtype === 'float32') {
    expect(Array.from(got)).toEqual(Array.from(orig));
    return;
  }
  const rel = dtype === 'float16' ? 2 ** -11 : 2 ** -8;
  for (let i = 0; i < orig.length; i++) {
    const x = orig[i];
    const tiny = dtype === 'float16' ? 2 ** -24 : 0;
    expect(Math.abs(got[i] - x) <= Math.abs(x) * rel + tiny / 2, `${x} -> ${got[i]}`).toBe(true);
  }
}

describe('float16 / bfloat16 conversions', () => {
  it('encodes known float16 bit patterns', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(-2)).toBe(0xc000);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(65519)).toBe(0x7bff); // below the rounding midpoint to infinity
    expect(floatToHalf(65520)).toBe(0x7c00); // the midpoint rounds to even = infinity
    expect(floatToHalf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(floatToHalf(2 ** -25)).toBe(0x0000); // exact tie with zero → even (zero)
    expect(floatToHalf(2 ** -25 * 1.5)).toBe(0x0001);
    expect(floatToHalf(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 ulps → even
    expect(floatToHalf(2 ** -14)).toBe(0x0400); // smallest normal
    expect(floatToHalf(2 ** -14 - 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(floatToHalf(-0)).toBe(0x8000);
    expect(floatToHalf(0)).toBe(0x0000);
    expect(floatToHalf(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(floatToHalf(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
    const nan = floatToHalf(Number.NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x3ff).not.toBe(0);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even mantissa
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
  });

  it('decodes known float16 bit patterns', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x03ff)).toBe(2 ** -14 - 2 ** -24);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(halfToFloat(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0x3555)).toBeCloseTo(1 / 3, 3);
  });

  it('round-trips every finite half exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue;
      if (floatToHalf(halfToFloat(h)) !== h) throw new Error(`half 0x${h.toString(16)} does not round-trip`);
    }
  });

  it('matches NumPy float32 → float16 rounding (incl. exact ties, overflow, subnormals)', () => {
    const input = new Float32Array(fromB64(FX.F16_ROUND_IN).buffer);
    const want = new Uint16Array(fromB64(FX.F16_ROUND_OUT).buffer);
    const got = float32ToHalfBits(input);
    expect(input.length).toBeGreaterThan(1000);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('encodes/decodes bfloat16 and matches an independent nearest-even rounding', () => {
    expect(floatToBf16(1)).toBe(0x3f80);
    expect(floatToBf16(-0)).toBe(0x8000);
    expect(floatToBf16(Number.POSITIVE_INFINITY)).toBe(0x7f80);
    expect(floatToBf16(-2)).toBe(0xc000);
    const nan = floatToBf16(Number.NaN);
    expect(nan & 0x7f80).toBe(0x7f80);
    expect(nan & 0x7f).not.toBe(0);
    expect(bf16ToFloat(0x3f80)).toBe(1);
    expect(bf16ToFloat(0x7f80)).toBe(Number.POSITIVE_INFINITY);
    expect(Object.is(bf16ToFloat(0x8000), -0)).toBe(true);
    const input = new Float32Array(fromB64(FX.BF16_ROUND_IN).buffer);
    const want = new Uint16Array(fromB64(FX.BF16_ROUND_OUT).buffer);
    expect(Array.from(float32ToBf16Bits(input))).toEqual(Array.from(want));
  });

  it('keeps random values within the formats relative precision', () => {
    const x = randomFloats(5000, 99, 100);
    const h = float32ToHalfBits(x);
    const b = float32ToBf16Bits(x);
    for (let i = 0; i < x.length; i++) {
      if (Math.abs(x[i]) >= 2 ** -14)
        expect(Math.abs(halfToFloat(h[i]) - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -11);
      expect(Math.abs(bf16ToFloat(b[i]) - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -8);
    }
  });
});

describe('npy', () => {
  it('reads NumPy float16 with specials', () => {
    const a = parseNpy(fromB64(FX.F16_NPY));
    expect(a.dtype).toBe('float16');
    expect(a.shape).toEqual([11]);
    const d = a.data as Float32Array;
    expect(d[0]).toBe(1);
    expect(Object.is(d[1], -0)).toBe(true);
    expect(d[2]).toBe(Number.POSITIVE_INFINITY);
    expect(d[3]).toBe(Number.NEGATIVE_INFINITY);
    expect(d[4]).toBeNaN();
    expect(d[5]).toBe(65504);
    expect(d[6]).toBe(2 ** -24);
    expect(d[7]).toBe(2 ** -14);
    expect(d[8]).toBe(halfToFloat(0x2e66)); // 0.1 in half
    expect(d[10]).toBe(-2.5);
  });

  it('transposes fortran_order arrays to C order', () => {
    const a = parseNpy(fromB64(FX.FORTRAN_NPY));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(a.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    // A hand-built 2-D Fortran int array: [[1, 2, 3], [4, 5, 6]] stored column by column.
    const raw = bytesOf(new Int32Array([1, 4, 2, 5, 3, 6]));
    const b = parseNpy(handNpy("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }\n", raw));
    expect(Array.from(b.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads big-endian arrays', () => {
    const a = parseNpy(fromB64(FX.BE_F4_NPY));
    expect(a.dtype).toBe('float32');
    expect(Array.from(a.data)).toEqual([-2, -0.5, 1, 2.5, 4, 5.5]);
    const b = parseNpy(fromB64(FX.BE_I8_NPY));
    expect(b.dtype).toBe('int64');
    expect(b.data).toBeInstanceOf(Int32Array);
    expect(Array.from(b.data)).toEqual([-5, 7, 2147483647, -2147483648]);
  });

  it('reads hand-built v2.0 and v3.0 headers, py2 longs, scalars and bfloat16 voids', () => {
    const data = bytesOf(new Float32Array([1.5, -2, 3, 4, 5, 6]));
    const v2 = parseNpy(
      handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + ' '.repeat(50) + '\n', data, 2),
    );
    expect(v2.shape).toEqual([2, 3]);
    expect(Array.from(v2.data)).toEqual([1.5, -2, 3, 4, 5, 6]);
    const v3 = parseNpy(
      handNpy('{"shape": (6,), "descr": "<f4", "fortran_order": False, }\n', data, 3, 'utf8'),
    );
    expect(v3.shape).toEqual([6]);
    const py2 = parseNpy(handNpy("{'descr':'<f4','fortran_order':False,'shape':(2L,3L)}  \n", data));
    expect(py2.shape).toEqual([2, 3]);
    const scalar = parseNpy(
      handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", data.subarray(0, 4)),
    );
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([1.5]);
    const bfBits = bytesOf(new Uint16Array([0x3f80, 0xc040, 0x7f80]));
    for (const descr of ['<V2', '|V2', 'bfloat16']) {
      const bf = parseNpy(
        handNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (3,), }\n`, bfBits),
      );
      expect(bf.dtype).toBe('bfloat16');
      expect(Array.from(bf.data)).toEqual([1, -3, Number.POSITIVE_INFINITY]);
    }
  });

  it('round-trips every dtype through encodeNpy with 64-byte aligned headers', () => {
    for (const [name, arr] of mixedCheckpoint()) {
      const bytes = encodeNpy(arr);
      const headerLen = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + headerLen) % 64).toBe(0);
      const back = parseNpy(bytes, name);
      expect(back.dtype).toBe(arr.dtype);
      expect(back.shape).toEqual(arr.shape);
      expect(Array.from(back.data)).toEqual(Array.from(arr.data));
    }
    const x = f32([5, 7], 3);
    for (const dt of ['float16', 'bfloat16'] as const) {
      const back = parseNpy(encodeNpy(x, dt));
      expect(back.dtype).toBe(dt);
      expectRounded(back.data as Float32Array, x.data as Float32Array, dt);
    }
    const header = new TextDecoder().decode(encodeNpy(x, 'bfloat16').subarray(10, 80));
    expect(header).toContain("'descr': '<V2'");
  });

  it('rejects unsupported dtypes, bad headers, wrong magic and out-of-range int64', () => {
    const c8 = expectCheckpointError(
      () => parseNpy(fromB64(FX.C8_NPY), 'z.npy'),
      'CHECKPOINT_UNSUPPORTED_DTYPE',
    );
    expect(c8.message).toContain('<c8');
    expect(c8.message).toContain('z.npy');
    expect(c8.message).toContain('<f4');
    const big = expectCheckpointError(
      () => parseNpy(fromB64(FX.I8_OVERFLOW_NPY)),
      'CHECKPOINT_UNSUPPORTED_DTYPE',
    );
    expect(big.message).toContain('1099511627776');
    expectCheckpointError(() => parseNpy(ascii('NOTNUMPY-at-all')), 'CHECKPOINT_UNKNOWN_FORMAT');
    const d = new Uint8Array(8);
    for (const h of [
      "{'descr': '<f4', 'fortran_order': False}\n",
      "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}\n",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1)}\n",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)\n",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}\n",
      "__import__('os').system('true')\n",
      '{' + '('.repeat(500) + '\n',
    ]) {
      expectCheckpointError(() => parseNpy(handNpy(h, d)), 'CHECKPOINT_CORRUPT');
    }
    expectCheckpointError(
      () => parseNpy(handNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}\n", d)),
      'CHECKPOINT_UNSUPPORTED_DTYPE',
    );
    const wrongVersion = encodeNpy(f32([2], 1));
    wrongVersion[6] = 9;
    expectCheckpointError(() => parseNpy(wrongVersion), 'CHECKPOINT_UNKNOWN_FORMAT');
    // Header length pointing past the end of the file.
    const longHeader = encodeNpy(f32([2], 1));
    new DataView(longHeader.buffer).setUint16(8, 60000, true);
    expectCheckpointError(() => parseNpy(longHeader), 'CHECKPOINT_TRUNCATED');
    // Shape too large for the data.
    expectCheckpointError(() =>
      parseNpy(handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999), }\n", d)),
    );
  });

  it('reports truncation at every cut point', () => {
    const full = encodeNpy(f32([3, 5], 4));
    for (let cut = 0; cut < full.length; cut++) {
      const e = expectCheckpointError(() => parseNpy(full.subarray(0, cut)));
      if (cut >= 10) expect(e.code).toBe('CHECKPOINT_TRUNCATED');
    }
  });
});

describe('npz', () => {
  it('reads the parity fixture (np.savez, stored)', async () => {
    const ckpt = readNpz(new Uint8Array(await readFile(FIXTURE)));
    expect(ckpt.size).toBe(40);
    expect(ckpt.get('params/embedding/kernel')!.shape).toEqual([32, 32, 3, 64]);
    expect(ckpt.get('params/pos_embedding')!.shape).toEqual([1, 49, 64]);
    expect(ckpt.get('params/cls')!.shape).toEqual([1, 1, 64]);
    expect(ckpt.get('params/head/kernel')!.shape).toEqual([64, 10]);
    for (const [name, a] of ckpt) {
      expect(a.dtype, name).toBe('float32');
      expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
    }
    const k = ckpt.get('params/embedding/kernel')!.data as Float32Array;
    expect(k.every(Number.isFinite)).toBe(true);
    const bytes = new Uint8Array(await readFile(FIXTURE));
    for (let i = 1; i < 40; i++) {
      const cut = Math.floor((bytes.length * i) / 40) + i;
      expect(expectCheckpointError(() => readNpz(bytes.subarray(0, cut))).code).toBe('CHECKPOINT_TRUNCATED');
    }
  });

  it('reads np.savez_compressed output with every dtype', () => {
    const ckpt = readNpz(fromB64(FX.NUMPY_NPZ_COMPRESSED));
    expect([...ckpt.keys()].sort()).toEqual([
      'empty',
      'f64',
      'flags',
      'i32',
      'i64',
      'params/nested/w',
      'scalar',
      'u8',
    ]);
    expect(ckpt.get('f64')).toEqual({
      dtype: 'float64',
      shape: [2, 2],
      data: new Float32Array([0.5, -1, 1e-3, 3]),
    });
    expect(ckpt.get('i64')).toEqual({
      dtype: 'int64',
      shape: [3],
      data: new Int32Array([-3, 2147483647, -2147483648]),
    });
    expect(Array.from(ckpt.get('i32')!.data)).toEqual([-2, -1, 0, 1, 2]);
    expect(ckpt.get('u8')).toEqual({ dtype: 'uint8', shape: [3], data: new Uint8Array([0, 255, 7]) });
    expect(ckpt.get('flags')).toEqual({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
    expect(ckpt.get('scalar')).toEqual({ dtype: 'float32', shape: [], data: new Float32Array([7.25]) });
    expect(ckpt.get('empty')!.shape).toEqual([0, 3]);
    expect(ckpt.get('params/nested/w')).toEqual({
      dtype: 'float16',
      shape: [2, 2],
      data: new Float32Array([0, 1, 2, 3]),
    });
  });

  for (const compress of [false, true]) {
    it(`round-trips ${compress ? 'compressed' : 'stored'} archives in float32/float16/bfloat16`, () => {
      const ckpt = mixedCheckpoint();
      for (const dtype of [undefined, 'float32', 'float16', 'bfloat16'] as const) {
        const bytes = writeNpz(ckpt, { dtype, compress });
        // Local header compression method: 0 stored, 8 deflate.
        expect(new DataView(bytes.buffer).getUint16(8, true)).toBe(compress ? 8 : 0);
        expectSameCheckpoint(readNpz(bytes), ckpt, dtype);
      }
    });
  }

  it('accepts a plain record and an empty archive', () => {
    const bytes = writeNpz({ a: f32([2], 5) });
    expect([...readNpz(bytes).keys()]).toEqual(['a']);
    expect(readNpz(writeNpz(new Map())).size).toBe(0);
  });

  it('rejects non-zips, truncation at every cut, damaged directories and data', () => {
    expectCheckpointError(() => readNpz(ascii('hello world, not a zip')), 'CHECKPOINT_UNKNOWN_FORMAT');
    for (const compress of [false, true]) {
      const full = writeNpz(mixedCheckpoint(), { compress });
      for (let cut = 0; cut < full.length; cut++) {
        const e = expectCheckpointError(() => readNpz(full.subarray(0, cut)));
        if (cut >= 4) expect(e.code, `cut ${cut}`).toBe('CHECKPOINT_TRUNCATED');
      }
    }
    const full = writeNpz(mixedCheckpoint());
    // Central directory offset pointing past the file.
    const badOffset = full.slice();
    new DataView(badOffset.buffer).setUint32(badOffset.length - 6, 0x7fffffff, true);
    expectCheckpointError(() => readNpz(badOffset), 'CHECKPOINT_CORRUPT');
    // A flipped data byte in a stored entry fails the CRC.
    const flipped = full.slice();
    flipped[200] ^= 0xff;
    expectCheckpointError(() => readNpz(flipped), 'CHECKPOINT_CORRUPT');
    // An entry whose bytes are not a .npy (a valid zip otherwise): the error names the entry.
    const e = expectCheckpointError(() => readNpz(zipSync({ 'x.npy': ascii('garbage bytes') })));
    expect(e.message).toContain('x.npy');
    const cut = zipSync({ 'w.npy': encodeNpy(f32([4], 1)).subarray(0, 100) });
    expect(expectCheckpointError(() => readNpz(cut)).code).toBe('CHECKPOINT_TRUNCATED');
    // Unknown compression method in the central directory and local header.
    const stored = zipSync({ 'w.npy': [encodeNpy(f32([4], 1)), { level: 0 }] });
    const dv = new DataView(stored.buffer);
    dv.setUint16(8, 12, true);
    const cd = stored.length - 22 - (46 + 'w.npy'.length);
    expect(dv.getUint32(cd, true)).toBe(0x02014b50);
    dv.setUint16(cd + 10, 12, true);
    expect(expectCheckpointError(() => readNpz(stored), 'CHECKPOINT_CORRUPT').message).toContain('method 12');
    expect(readNpz(writeNpz({})).size).toBe(0);
  });

  it('never throws anything but CheckpointError on random corruption', () => {
    const r = rng(7);
    for (const compress of [false, true]) {
      const full = writeNpz(mixedCheckpoint(), { compress });
      for (let t = 0; t < 400; t++) {
        const b = full.slice();
        const flips = 1 + Math.floor(r() * 4);
        for (let k = 0; k < flips; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
        expectOnlyCheckpointErrors(() => readNpz(b), `npz corruption trial ${t}`);
      }
    }
  });
});

describe('safetensors', () => {
  it('round-trips float32/float16/bfloat16 with metadata and 8-byte aligned header', () => {
    const ckpt = mixedCheckpoint();
    for (const dtype of [undefined, 'float32', 'float16', 'bfloat16'] as const) {
      const bytes = writeSafetensors(ckpt, { dtype, metadata: { format: 'pt', note: 'hi' } });
      expect(new DataView(bytes.buffer).getUint32(0, true) % 8).toBe(0);
      const { arrays, metadata } = parseSafetensors(bytes);
      expect(metadata).toEqual({ format: 'pt', note: 'hi' });
      expectSameCheckpoint(arrays, ckpt, dtype);
    }
    const bf = writeSafetensors(ckpt, { dtype: 'bfloat16' });
    const n = new DataView(bf.buffer).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(bf.subarray(8, 8 + n)));
    expect(new TextDecoder().decode(bf.subarray(8, 8 + n))).toMatch(/} *$/);
    expect(header['params/cls'].dtype).toBe('BF16');
    // Every tensor starts at a multiple of its element size (widest dtypes are laid out first).
    const sizes: Record<string, number> = { BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1, F32: 4 };
    for (const [k, v] of Object.entries(header) as [string, { dtype: string; data_offsets: number[] }][]) {
      expect(v.data_offsets[0] % sizes[v.dtype], k).toBe(0);
    }
    expect(header.big.dtype).toBe('I64');
  });

  function st(header: object, data: Uint8Array = new Uint8Array(0)): Uint8Array {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + data.length);
    new DataView(out.buffer).setUint32(0, json.length, true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return out;
  }

  it('reads hand-built files and rejects bad dtypes, offsets and headers', () => {
    const data = bytesOf(new Float32Array([1, 2, 3, 4]));
    const ok = readSafetensors(st({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, data));
    expect(Array.from(ok.get('w')!.data)).toEqual([1, 2, 3, 4]);
    const fp8 = expectCheckpointError(
      () => readSafetensors(st({ w: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, data)),
      'CHECKPOINT_UNSUPPORTED_DTYPE',
    );
    expect(fp8.message).toContain('F8_E4M3');
    expect(fp8.message).toContain('"w"');
    expect(fp8.message).toContain('BF16');
    expectCheckpointError(
      () => readSafetensors(st({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [8, 24] } }, data)),
      'CHECKPOINT_TRUNCATED',
    );
    expectCheckpointError(
      () => readSafetensors(st({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, data)),
      'CHECKPOINT_CORRUPT',
    );
    expectCheckpointError(
      () => readSafetensors(st({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [16, 0] } }, data)),
      'CHECKPOINT_CORRUPT',
    );
    expectCheckpointError(
      () => readSafetensors(st({ w: { dtype: 'F32', shape: [2, -2], data_offsets: [0, 16] } }, data)),
      'CHECKPOINT_CORRUPT',
    );
    expectCheckpointError(() => readSafetensors(st({ w: [1, 2] }, data)), 'CHECKPOINT_CORRUPT');
    expectCheckpointError(() => readSafetensors(st({ __metadata__: { a: 1 } }, data)), 'CHECKPOINT_CORRUPT');
    // Header length beyond the file, implausible header length, broken JSON.
    const longer = st({}, data);
    new DataView(longer.buffer).setUint32(0, 1000, true);
    expectCheckpointError(() => readSafetensors(longer), 'CHECKPOINT_TRUNCATED');
    const huge = st({}, data);
    new DataView(huge.buffer).setUint32(4, 1, true);
    expectCheckpointError(() => readSafetensors(huge), 'CHECKPOINT_CORRUPT');
    const broken = st({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data);
    broken[10] = 0xff;
    expectCheckpointError(() => readSafetensors(broken), 'CHECKPOINT_CORRUPT');
  });

  it('reports truncation at every cut point and survives random corruption', () => {
    const full = writeSafetensors(mixedCheckpoint());
    for (let cut = 0; cut < full.length; cut++) {
      const e = expectCheckpointError(() => readSafetensors(full.subarray(0, cut)));
      expect(['CHECKPOINT_TRUNCATED', 'CHECKPOINT_CORRUPT']).toContain(e.code);
    }
    const r = rng(11);
    for (let t = 0; t < 400; t++) {
      const b = full.slice();
      b[Math.floor(r() * Math.min(b.length, 400))] = Math.floor(r() * 256);
      expectOnlyCheckpointErrors(() => readSafetensors(b), `safetensors corruption trial ${t}`);
    }
  });
});

describe('tfjs', () => {
  it('round-trips through sharded weights in float32 and float16', () => {
    const ckpt = mixedCheckpoint();
    ckpt.set('bf', f32([3, 3], 9, 'bfloat16'));
    for (const dtype of ['float32', 'float16'] as const) {
      const { modelJson, shards } = encodeTfjsModel(ckpt, { dtype, shardBytes: 50, metadata: { a: 1 } });
      expect(shards.length).toBeGreaterThan(3);
      expect(shards.every((s) => s.data.length <= 50)).toBe(true);
      expect(shards[0].name).toBe(`group1-shard1of${shards.length}.bin`);
      expect(modelJson.userDefinedMetadata).toEqual({ a: 1 });
      const json = JSON.parse(JSON.stringify(modelJson));
      const back = decodeTfjsWeights(
        json.weightsManifest,
        shards.map((s) => s.data),
      );
      for (const [name, w] of ckpt) {
        const g = back.get(name)!;
        expect(g.shape, name).toEqual(w.shape);
        if (w.data instanceof Float32Array) {
          expect(g.dtype).toBe(dtype);
          expectRounded(g.data as Float32Array, w.data, dtype);
        } else {
          expect(Array.from(g.data), name).toEqual(Array.from(w.data));
          expect(g.dtype).toBe(w.dtype === 'bool' ? 'bool' : 'int32');
        }
      }
    }
  });

  it('agrees with TF.js tf.io.encodeWeights / decodeWeights', async () => {
    await useCpu();
    const ckpt = mixedCheckpoint();
    // Ours → TF.js: concatenated shards decoded by TF.js itself (float16 quantization included).
    for (const dtype of ['float32', 'float16'] as const) {
      const { modelJson, shards } = encodeTfjsModel(ckpt, { dtype, shardBytes: 64 });
      const all = new Uint8Array(shards.reduce((n, s) => n + s.data.length, 0));
      let o = 0;
      for (const s of shards) {
        all.set(s.data, o);
        o += s.data.length;
      }
      const mine = decodeTfjsWeights(
        modelJson.weightsManifest,
        shards.map((s) => s.data),
      );
      const theirs = tf.io.decodeWeights(
        all.buffer,
        modelJson.weightsManifest[0].weights as tf.io.WeightsManifestEntry[],
      );
      for (const [name, a] of mine) {
        expect(theirs[name].shape, name).toEqual(a.shape);
        expect(Array.from(theirs[name].dataSync() as ArrayLike<number>), name).toEqual(Array.from(a.data));
      }
      tf.dispose(theirs);
    }
    // TF.js → ours.
    const tensors = {
      w: tf.tensor2d([
        [1.5, -2],
        [3, 4e-5],
      ]),
      n: tf.tensor1d([3, -4], 'int32'),
      b: tf.tensor1d([true, false, true], 'bool'),
    };
    const { data, specs } = await tf.io.encodeWeights(tensors);
    const back = decodeTfjsWeights(
      [{ paths: ['x.bin'], weights: specs as never }],
      [new Uint8Array(data as ArrayBuffer)],
    );
    expect(back.get('w')).toEqual({
      dtype: 'float32',
      shape: [2, 2],
      data: new Float32Array([1.5, -2, 3, 4e-5]),
    });
    expect(back.get('n')).toEqual({ dtype: 'int32', shape: [2], data: new Int32Array([3, -4]) });
    expect(back.get('b')).toEqual({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
    tf.dispose(Object.values(tensors));
  });

  it('dequantizes uint8/uint16 and decodes float16 from hand-built manifests', () => {
    const manifest: TfjsWeightsManifest = [
      {
        paths: ['a.bin'],
        weights: [
          { name: 'q8', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
          {
            name: 'q16',
            shape: [2],
            dtype: 'float32',
            quantization: { dtype: 'uint16', scale: 0.25, min: 10 },
          },
          { name: 'qi', shape: [2], dtype: 'int32', quantization: { dtype: 'uint8', scale: 2, min: -3 } },
          { name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
        ],
      },
      { paths: ['b.bin', 'c.bin'], weights: [{ name: 'f', shape: [2], dtype: 'float32' }] },
    ];
    const a = new Uint8Array([0, 2, 255, 4, 0, 0, 1, 1, 5, 0x00, 0x3c, 0x00, 0xc0]);
    const f = bytesOf(new Float32Array([1.25, -7]));
    const out = decodeTfjsWeights(manifest, [a, f.subarray(0, 3), f.subarray(3)]);
    expect(Array.from(out.get('q8')!.data)).toEqual([-1, 0, 126.5]);
    expect(Array.from(out.get('q16')!.data)).toEqual([11, 74]);
    expect(out.get('qi')).toEqual({ dtype: 'int32', shape: [2], data: new Int32Array([-1, 7]) });
    expect(out.get('h')).toEqual({ dtype: 'float16', shape: [2], data: new Float32Array([1, -2]) });
    expect(Array.from(out.get('f')!.data)).toEqual([1.25, -7]);

    // Truncated shard: names the weight.
    const trunc = expectCheckpointError(
      () => decodeTfjsWeights(manifest, [a, f.subarray(0, 3), f.subarray(3, 6)]),
      'CHECKPOINT_TRUNCATED',
    );
    expect(trunc.message).toContain('"f"');
    // Shards longer than the manifest says.
    expectCheckpointError(
      () => decodeTfjsWeights(manifest, [new Uint8Array([...a, 0]), f.subarray(0, 3), f.subarray(3)]),
      'CHECKPOINT_CORRUPT',
    );
    // Wrong number of shard buffers.
    expectCheckpointError(() => decodeTfjsWeights(manifest, [a]), 'CHECKPOINT_CORRUPT');
    // Unsupported dtypes, bad quantization and bad manifests.
    expectCheckpointError(
      () =>
        decodeTfjsWeights(
          [{ paths: ['x'], weights: [{ name: 's', shape: [1], dtype: 'string' }] }],
          [new Uint8Array(4)],
        ),
      'CHECKPOINT_UNSUPPORTED_DTYPE',
    );
    expectCheckpointError(
      () =>
        decodeTfjsWeights(
          [
            {
              paths: ['x'],
              weights: [
                { name: 's', shape: [1], dtype: 'float32', quantization: { dtype: 'int4' as 'uint8' } },
              ],
            },
          ],
          [new Uint8Array(4)],
        ),
      'CHECKPOINT_UNSUPPORTED_DTYPE',
    );
    expectCheckpointError(
      () =>
        decodeTfjsWeights(
          [
            {
              paths: ['x'],
              weights: [{ name: 's', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8' } }],
            },
          ],
          [new Uint8Array(1)],
        ),
      'CHECKPOINT_CORRUPT',
    );
    expectCheckpointError(
      () => decodeTfjsWeights({} as unknown as TfjsWeightsManifest, []),
      'CHECKPOINT_CORRUPT',
    );
  });

  it('reports truncated shards at every cut point', () => {
    const { modelJson, shards } = encodeTfjsModel(mixedCheckpoint(), { shardBytes: 1 << 20 });
    expect(shards.length).toBe(1);
    for (let cut = 0; cut < shards[0].data.length; cut++) {
      expectCheckpointError(
        () => decodeTfjsWeights(modelJson.weightsManifest, [shards[0].data.subarray(0, cut)]),
        'CHECKPOINT_TRUNCATED',
      );
    }
  });
});

describe('readCheckpoint / writeCheckpoint', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flexivit-ckpt-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('detects formats from bytes', () => {
    expect(detectFormat(writeNpz(mixedCheckpoint()))).toBe('npz');
    expect(detectFormat(writeSafetensors(mixedCheckpoint()))).toBe('safetensors');
    expect(detectFormat(ascii(' {"format": "x", "weightsManifest": []}'))).toBe('tfjs');
    expect(detectFormat(ascii('{"hello": 1}'))).toBeNull();
    expect(detectFormat(encodeNpy(f32([1], 1)))).toBeNull();
    expect(detectFormat(new Uint8Array(0))).toBeNull();
  });

  it('reads the fixture from a path, a file:// URL, a Uint8Array and an ArrayBuffer', async () => {
    const a = await readCheckpoint(FIXTURE);
    expect(a.size).toBe(40);
    expect((await readCheckpoint(pathToFileURL(FIXTURE))).size).toBe(40);
    expect((await readCheckpoint(pathToFileURL(FIXTURE).href)).size).toBe(40);
    const bytes = new Uint8Array(await readFile(FIXTURE));
    expect((await readCheckpoint(bytes)).get('params/cls')!.shape).toEqual([1, 1, 64]);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    expect((await readCheckpoint(ab)).size).toBe(40);
  });

  it('reports missing files, unknown formats and bytes-only tfjs', async () => {
    const missing = join(dir, 'nope.npz');
    const e = await expectCheckpointErrorAsync(() => readCheckpoint(missing), 'CHECKPOINT_NOT_FOUND');
    expect(e.message).toContain(missing);
    await expectCheckpointErrorAsync(() => readCheckpoint(ascii('just text')), 'CHECKPOINT_UNKNOWN_FORMAT');
    const npy = await expectCheckpointErrorAsync(
      () => readCheckpoint(encodeNpy(f32([2], 1))),
      'CHECKPOINT_UNKNOWN_FORMAT',
    );
    expect(npy.message).toContain('.npy');
    const { modelJson } = encodeTfjsModel({ w: f32([2], 1) });
    await expectCheckpointErrorAsync(
      () => readCheckpoint(ascii(JSON.stringify(modelJson))),
      'CHECKPOINT_NOT_FOUND',
    );
  });

  it('writes and reads back every format, leaving no temp files', async () => {
    const ckpt = mixedCheckpoint();
    await writeCheckpoint(join(dir, 'a.npz'), ckpt, { format: 'npz', compress: true });
    await writeCheckpoint(join(dir, 'a.safetensors'), ckpt, { dtype: 'bfloat16' });
    await writeCheckpoint(join(dir, 'tfjs'), ckpt, { format: 'tfjs', dtype: 'float16', shardBytes: 64 });
    expectSameCheckpoint(await readCheckpoint(join(dir, 'a.npz')), ckpt);
    expectSameCheckpoint(await readCheckpoint(join(dir, 'a.safetensors')), ckpt, 'bfloat16');
    const viaJson = await readCheckpoint(join(dir, 'tfjs', 'model.json'));
    const viaDir = await readCheckpoint(join(dir, 'tfjs'), { format: 'tfjs' });
    expect([...viaJson.keys()]).toEqual([...ckpt.keys()]);
    expect(viaDir.get('params/cls')).toEqual(viaJson.get('params/cls'));
    expectRounded(
      viaJson.get('params/cls')!.data as Float32Array,
      ckpt.get('params/cls')!.data as Float32Array,
      'float16',
    );
    // Overwrite the existing tfjs directory in place with fewer shards.
    await writeCheckpoint(join(dir, 'tfjs', 'model.json'), ckpt, { shardBytes: 1 << 20 });
    const again = await readCheckpoint(join(dir, 'tfjs'));
    expect(Array.from(again.get('params/cls')!.data)).toEqual(Array.from(ckpt.get('params/cls')!.data));
    const all = [...(await readdir(dir)), ...(await readdir(join(dir, 'tfjs')))];
    expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['a.npz', 'a.safetensors', 'tfjs']));
  });

  it('reads tfjs over http with shards resolved relative to model.json', async () => {
    const { modelJson, shards } = encodeTfjsModel(mixedCheckpoint(), { shardBytes: 40 });
    const served = new Map<string, Uint8Array>([
      ['https://example.test/models/m/model.json', ascii(JSON.stringify(modelJson))],
      ...shards.map((s) => [`https://example.test/models/m/${s.name}`, s.data] as [string, Uint8Array]),
    ]);
    const requested: string[] = [];
    const fakeFetch = (async (url: string) => {
      requested.push(url);
      const body = served.get(url);
      return body
        ? new Response(body.slice())
        : new Response('missing', { status: 404, statusText: 'Not Found' });
    }) as typeof fetch;
    const ckpt = await readCheckpoint('https://example.test/models/m/model.json', { fetch: fakeFetch });
    expectSameCheckpoint(
      ckpt,
      new Map(
        [...mixedCheckpoint()].map(([k, v]) => [
          k,
          ['int64', 'uint8'].includes(v.dtype) ? { ...v, dtype: 'int32', data: Int32Array.from(v.data) } : v,
        ]),
      ) as RawCheckpoint,
    );
    expect(requested).toContain(`https://example.test/models/m/${shards[1].name}`);
    served.delete(`https://example.test/models/m/${shards[2].name}`);
    const e = await expectCheckpointErrorAsync(
      () => readCheckpoint(new URL('https://example.test/models/m/model.json'), { fetch: fakeFetch }),
      'CHECKPOINT_NOT_FOUND',
    );
    expect(e.message).toContain(shards[2].name);
    expect(e.message).toContain('404');
  });

  it('reports a missing shard file on disk', async () => {
    const sub = join(dir, 'missing-shard');
    await writeCheckpoint(sub, mixedCheckpoint(), { format: 'tfjs', shardBytes: 100 });
    await rm(join(sub, 'group1-shard2of3.bin'));
    const e = await expectCheckpointErrorAsync(() => readCheckpoint(sub), 'CHECKPOINT_NOT_FOUND');
    expect(e.message).toContain('group1-shard2of3.bin');
  });

  it('reports truncated files on disk for every format', async () => {
    const sub = join(dir, 'trunc');
    await mkdir(sub);
    const r = rng(3);
    for (const [file, bytes] of [
      ['t.npz', writeNpz(mixedCheckpoint(), { compress: true })],
      ['t.safetensors', writeSafetensors(mixedCheckpoint())],
    ] as const) {
      for (let k = 0; k < 10; k++) {
        const cut = Math.floor(r() * bytes.length);
        await writeFile(join(sub, file), bytes.subarray(0, cut));
        await expectCheckpointErrorAsync(() => readCheckpoint(join(sub, file)));
      }
    }
    const { modelJson, shards } = encodeTfjsModel(mixedCheckpoint(), { shardBytes: 1 << 20 });
    const json = ascii(JSON.stringify(modelJson));
    await writeFile(join(sub, shards[0].name), shards[0].data.subarray(0, 30));
    await writeFile(join(sub, 'model.json'), json);
    await expectCheckpointErrorAsync(() => readCheckpoint(join(sub, 'model.json')), 'CHECKPOINT_TRUNCATED');
    for (let cut = 0; cut < json.length; cut += 7) {
      await expectCheckpointErrorAsync(() => readCheckpoint(json.subarray(0, cut)));
      await writeFile(join(sub, 'model.json'), json.subarray(0, cut));
      await expectCheckpointErrorAsync(() => readCheckpoint(join(sub, 'model.json')));
    }
  });

  it('never clobbers an existing file when a write fails', async () => {
    const target = join(dir, 'keep.npz');
    await writeCheckpoint(target, mixedCheckpoint());
    const before = await readFile(target);
    // Bad array: fails while encoding, before touching the disk.
    const bad = { w: { dtype: 'float32', shape: [3], data: new Float32Array(2) } as RawArray };
    await expectCheckpointErrorAsync(() => writeCheckpoint(target, bad), 'CHECKPOINT_SHAPE_MISMATCH');
    await expectCheckpointErrorAsync(
      () => writeCheckpoint(join(dir, 'x.npz'), bad),
      'CHECKPOINT_SHAPE_MISMATCH',
    );
    // Failing rename (the target is a non-empty directory): the temp file is removed.
    const asDir = join(dir, 'occupied.safetensors');
    await mkdir(asDir);
    await writeFile(join(asDir, 'inside'), 'x');
    await expect(writeCheckpoint(asDir, mixedCheckpoint())).rejects.toBeTruthy();
    expect(Buffer.compare(await readFile(target), before)).toBe(0);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp') || f === 'x.npz')).toEqual([]);
    // Missing folder.
    await expectCheckpointErrorAsync(
      () => writeCheckpoint(join(dir, 'no', 'such', 'dir.npz'), mixedCheckpoint()),
      'CHECKPOINT_NOT_FOUND',
    );
    await expectCheckpointErrorAsync(
      () => writeCheckpoint(join(dir, 'noext'), mixedCheckpoint()),
      'ARGUMENT_INVALID',
    );
    await expectCheckpointErrorAsync(
      () => writeCheckpoint(join(dir, 'a.npz'), mixedCheckpoint(), { format: 'tfjs', dtype: 'bfloat16' }),
      'CHECKPOINT_UNSUPPORTED_DTYPE',
    );
  });

  it('only ever throws CheckpointError for hostile inputs via readCheckpoint', async () => {
    const r = rng(5);
    const inputs = [writeNpz(mixedCheckpoint()), writeSafetensors(mixedCheckpoint())];
    for (const full of inputs) {
      for (let t = 0; t < 100; t++) {
        const b = full.slice(0, Math.floor(r() * full.length) + 1);
        b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
        try {
          await readCheckpoint(b);
        } catch (e) {
          expect(e).toBeInstanceOf(CheckpointError);
        }
      }
    }
  });
});
