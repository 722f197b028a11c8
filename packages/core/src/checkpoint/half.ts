/**
 * IEEE half (float16) and bfloat16 <-> float32 conversions, bit-exact and with round-to-nearest-even.
 * Everything works on float32 bit patterns so no double rounding happens for float32 inputs.
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Decodes a float16 bit pattern (0..0xffff) to a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Rounds a float32 bit pattern to the nearest float16 bit pattern (ties to even). */
export function f32BitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    // Keep NaN a NaN (force the quiet bit so a payload that only lives in the low bits survives).
    return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  }
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to infinity
  if (e <= 0) {
    // Result is a half subnormal (or zero): value in units of 2^-24 is (1.mant) >> (14 - e).
    if (e < -10) return sign; // below half of the smallest subnormal
    const m = mant | 0x800000;
    const shift = 14 - e;
    let hm = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && hm & 1)) hm++; // a carry into the exponent is still correct
    return sign | hm;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // may carry up to 0x7c00 = inf, as it should
  return h;
}

/** Rounds a number to float32 and then to the nearest float16 bit pattern. */
export function floatToHalf(v: number): number {
  scratchF32[0] = v;
  return f32BitsToHalf(scratchU32[0]);
}

/** Rounds a float32 bit pattern to the nearest bfloat16 bit pattern (ties to even). */
export function f32BitsToBf16(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) {
    return ((x >>> 16) | 0x40) & 0xffff; // NaN: keep it a (quiet) NaN after truncation
  }
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Rounds a number to float32 and then to the nearest bfloat16 bit pattern. */
export function floatToBf16(v: number): number {
  scratchF32[0] = v;
  return f32BitsToBf16(scratchU32[0]);
}

/** Decodes a bfloat16 bit pattern to a number (exact: bf16 is the top half of a float32). */
export function bf16ToFloat(b: number): number {
  scratchU32[0] = (b & 0xffff) << 16;
  return scratchF32[0];
}

let halfTable: Float32Array | undefined;

/** All 65536 half values as float32, built once on first use (256 KiB) so bulk decoding is a lookup. */
export function halfLookupTable(): Float32Array {
  if (!halfTable) {
    const t = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) t[i] = halfToFloat(i);
    halfTable = t;
  }
  return halfTable;
}

/** Converts float16 bit patterns to float32 values. */
export function halfBitsToFloat32(bits: Uint16Array): Float32Array {
  const table = halfLookupTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** Converts bfloat16 bit patterns to float32 values. */
export function bf16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i] << 16;
  return out;
}

/** Rounds float32 values to float16 bit patterns. */
export function float32ToHalfBits(values: Float32Array): Uint16Array {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < u.length; i++) out[i] = f32BitsToHalf(u[i]);
  return out;
}

/** Rounds float32 values to bfloat16 bit patterns. */
export function float32ToBf16Bits(values: Float32Array): Uint16Array {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < u.length; i++) out[i] = f32BitsToBf16(u[i]);
  return out;
}
