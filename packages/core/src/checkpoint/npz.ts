/**
 * NumPy `.npz` (a zip of .npy files, from np.savez / np.savez_compressed) reader and writer.
 * fflate does the (de)compression; the zip structure is walked and bounds-checked here first,
 * because fflate trusts the directory and would fail with range errors or garbage on damaged files.
 */
import { unzipSync, zipSync } from 'fflate';
import { CheckpointError } from '../errors';
import { checkFloatDType, checkpointEntries, describe, q } from './codec';
import { encodeNpy, parseNpy } from './npy';
import type { FloatWriteDType, RawArray, RawCheckpoint } from './types';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
// Deflate cannot expand data by more than ~1032:1; a bigger claim is a corrupt (or hostile) directory.
const MAX_DEFLATE_RATIO = 1032;

/** True when `bytes` starts like a zip archive (a local file header, or the end record of an empty zip). */
export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6))
  );
}

interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  dataStart: number;
}

let crcTable: Uint32Array | undefined;

function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const t = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function decodeName(raw: Uint8Array, utf8: boolean): string {
  // Same rule as fflate: the UTF-8 flag (bit 11) picks UTF-8, otherwise bytes are latin1.
  if (utf8) return new TextDecoder().decode(raw);
  let s = '';
  for (const b of raw) s += String.fromCharCode(b);
  return s;
}

/** Walks the zip's end record and central directory, checking every offset and size against the file. */
function readZipDirectory(bytes: Uint8Array, label: string): ZipEntry[] {
  const len = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  const u64 = (o: number) => view.getUint32(o, true) + view.getUint32(o + 4, true) * 4294967296;
  const truncated = (msg: string) => new CheckpointError('CHECKPOINT_TRUNCATED', `${label}: ${msg}`);
  const corrupt = (msg: string) => new CheckpointError('CHECKPOINT_CORRUPT', `${label}: ${msg}`);

  // The end-of-central-directory record sits in the last 22 + (comment ≤ 65535) bytes.
  let eocd = -1;
  for (let p = len - 22; p >= 0 && p >= len - 22 - 0xffff; p--) {
    if (u32(p) === SIG_EOCD && p + 22 + u16(p + 20) <= len) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    throw truncated(
      'the zip has no end-of-central-directory record, so the file is truncated (or not a complete .npz)',
    );
  }
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0) {
    throw corrupt('multi-part (split) zip archives are not supported; only single-file .npz archives are');
  }
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  let cdLimit = eocd;
  // A zip64 locator right before the end record overrides the 16/32-bit fields (fflate reads it the same way).
  if (eocd >= 20 && u32(eocd - 20) === SIG_ZIP64_LOCATOR) {
    const z = u64(eocd - 12);
    if (z + 56 > eocd - 20 || u32(z) !== SIG_ZIP64_EOCD)
      throw corrupt('the zip64 end record is missing or out of range');
    count = u64(z + 32);
    cdSize = u64(z + 40);
    cdOffset = u64(z + 48);
    cdLimit = z;
  }
  if (cdOffset + cdSize > cdLimit) {
    throw corrupt(
      `the central directory (offset ${cdOffset}, ${cdSize} bytes) runs past the end record at ${cdLimit}`,
    );
  }
  if (count * 46 > cdSize) {
    throw corrupt(`the zip claims ${count} entries but its central directory is only ${cdSize} bytes`);
  }

  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let p = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdEnd || u32(p) !== SIG_CENTRAL) throw corrupt(`central directory entry ${i} is damaged`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    let compressedSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    let localOffset = u32(p + 42);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cdEnd) throw corrupt(`central directory entry ${i} runs past the directory`);
    const name = decodeName(bytes.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
    // Zip64 extra field: 64-bit values for whichever 32-bit fields are saturated, in this order.
    if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) {
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      let found = false;
      while (e + 4 <= eEnd) {
        const id = u16(e);
        const sz = u16(e + 2);
        if (e + 4 + sz > eEnd) break;
        if (id === 1) {
          let f = e + 4;
          const take = () => {
            if (f + 8 > e + 4 + sz) throw corrupt(`entry ${q(name)} has a short zip64 extra field`);
            const v = u64(f);
            f += 8;
            return v;
          };
          if (size === 0xffffffff) size = take();
          if (compressedSize === 0xffffffff) compressedSize = take();
          if (localOffset === 0xffffffff) localOffset = take();
          found = true;
          break;
        }
        e += 4 + sz;
      }
      if (!found) throw corrupt(`entry ${q(name)} has 32-bit sizes saturated but no zip64 extra field`);
    }
    if (flags & 1) throw corrupt(`entry ${q(name)} is encrypted; encrypted archives are not supported`);
    if (method !== 0 && method !== 8) {
      throw corrupt(
        `entry ${q(name)} uses zip compression method ${method}; allowed: 0 (stored, np.savez) and 8 (deflate, np.savez_compressed)`,
      );
    }
    if (seen.has(name)) throw corrupt(`entry ${q(name)} appears twice`);
    seen.add(name);
    if (localOffset + 30 > cdOffset || u32(localOffset) !== SIG_LOCAL) {
      throw corrupt(`entry ${q(name)}: local header at offset ${localOffset} is missing or damaged`);
    }
    const dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    if (dataStart + compressedSize > cdOffset) {
      throw corrupt(
        `entry ${q(name)}: ${compressedSize} bytes of data at offset ${dataStart} overlap the central directory at ${cdOffset}`,
      );
    }
    if (method === 0 && compressedSize !== size) {
      throw corrupt(`entry ${q(name)} is stored but its sizes differ (${compressedSize} vs ${size})`);
    }
    if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + 1024) {
      throw corrupt(
        `entry ${q(name)} claims ${size} bytes from ${compressedSize} compressed bytes, which deflate cannot produce`,
      );
    }
    entries.push({ name, method, crc, compressedSize, size, dataStart });
    p = next;
  }
  return entries;
}

/**
 * Reads an .npz archive (stored or deflated entries). Array names drop the `.npy` suffix;
 * entries that are not `.npy` files are ignored, as are directory entries.
 */
export function readNpz(bytes: Uint8Array, label = 'npz'): RawCheckpoint {
  if (!(bytes instanceof Uint8Array)) {
    throw new CheckpointError('ARGUMENT_INVALID', `${label}: expected a Uint8Array, got ${describe(bytes)}`);
  }
  if (!isZip(bytes)) {
    const prefix = [0x50, 0x4b, 0x03, 0x04];
    if (bytes.length < 4 && prefix.slice(0, bytes.length).every((b, i) => bytes[i] === b)) {
      throw new CheckpointError(
        'CHECKPOINT_TRUNCATED',
        `${label}: file is only ${bytes.length} bytes, too short for a zip`,
      );
    }
    throw new CheckpointError(
      'CHECKPOINT_UNKNOWN_FORMAT',
      `${label}: not an .npz file; expected a zip archive starting with 'PK\\x03\\x04'`,
    );
  }
  const entries = readZipDirectory(bytes, label);
  const wanted = entries.filter((e) => e.name.endsWith('.npy'));

  let files: Record<string, Uint8Array>;
  try {
    let i = 0;
    files = unzipSync(bytes, {
      filter: (f) => {
        // fflate reads the same directory; refuse to go on if it sees it differently from the checks above.
        const e = entries[i++];
        if (!e || e.name !== f.name || e.compressedSize !== f.size || e.size !== f.originalSize) {
          throw new CheckpointError(
            'CHECKPOINT_CORRUPT',
            `${label}: zip directory entry ${q(f.name)} is inconsistent`,
          );
        }
        return f.name.endsWith('.npy');
      },
    });
  } catch (cause) {
    if (cause instanceof CheckpointError) throw cause;
    throw new CheckpointError(
      'CHECKPOINT_CORRUPT',
      `${label}: the zip data cannot be decompressed (${(cause as Error)?.message ?? cause})`,
      { cause },
    );
  }

  const out: RawCheckpoint = new Map();
  for (const e of wanted) {
    const data = files[e.name];
    if (!data || data.length !== e.size) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `${label}: entry ${q(e.name)} decompressed to ${data?.length ?? 0} bytes, expected ${e.size}`,
      );
    }
    if (crc32(data) !== e.crc) {
      throw new CheckpointError(
        'CHECKPOINT_CORRUPT',
        `${label}: entry ${q(e.name)} fails its CRC-32 check; the data is damaged`,
      );
    }
    const key = e.name.slice(0, -4);
    out.set(key, parseNpy(data, `${label}:${e.name}`));
  }
  return out;
}

export interface WriteNpzOptions {
  /** Precision for float arrays (default: each array's own dtype). */
  dtype?: FloatWriteDType;
  /** Deflate the entries like np.savez_compressed (default false: stored, like np.savez). */
  compress?: boolean;
}

/** Writes arrays as an .npz archive; each array becomes `<name>.npy`. */
export function writeNpz(
  ckpt: RawCheckpoint | Record<string, RawArray>,
  opts: WriteNpzOptions = {},
): Uint8Array {
  const dtype = checkFloatDType(opts.dtype, ['float32', 'float16', 'bfloat16'], 'writeNpz');
  const level = opts.compress ? 6 : 0;
  // A fixed timestamp keeps the output byte-for-byte reproducible.
  const mtime = new Date(2000, 0, 1);
  const files: Record<string, [Uint8Array, { level: 0 | 6; mtime: Date }]> = {};
  for (const [name, arr] of checkpointEntries(ckpt)) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new CheckpointError(
        'ARGUMENT_INVALID',
        `writeNpz: array names must be non-empty strings, got ${describe(name)}`,
      );
    }
    files[`${name}.npy`] = [encodeNpy(arr, dtype, name), { level, mtime }];
  }
  return zipSync(files);
}
