/**
 * Reading checkpoints from paths, URLs or bytes (format sniffed from the bytes), and writing them
 * to disk without ever leaving a half-written file behind. Node-only pieces import node: modules
 * lazily so browser bundles never load them.
 */
import { CheckpointError } from '../errors';
import { nodeImport } from '../node-import';
import { checkFloatDType, checkpointEntries, describe, q } from './codec';
import { isNpy } from './npy';
import { isZip, readNpz, writeNpz } from './npz';
import { looksLikeSafetensors, readSafetensors, writeSafetensors } from './safetensors';
import { decodeTfjsWeights, encodeTfjsModel, parseTfjsModelJson } from './tfjs';
import type { CheckpointFormat, FloatWriteDType, RawArray, RawCheckpoint } from './types';

export type CheckpointSource = string | URL | Uint8Array | ArrayBuffer;

export interface ReadCheckpointOptions {
  /** Skip detection and read as this format. */
  format?: CheckpointFormat;
  /** fetch implementation for http(s) sources (default: globalThis.fetch). */
  fetch?: typeof fetch;
}

const FORMATS: readonly CheckpointFormat[] = ['npz', 'safetensors', 'tfjs'];

/** Detects a checkpoint format from its first bytes, or null if it is none of the supported ones. */
export function detectFormat(bytes: Uint8Array): CheckpointFormat | null {
  if (!(bytes instanceof Uint8Array)) return null;
  if (isZip(bytes)) return 'npz';
  if (looksLikeSafetensors(bytes)) return 'safetensors';
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3; // UTF-8 BOM
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++;
  if (bytes[i] === 0x7b) {
    const text = new TextDecoder().decode(bytes.subarray(i));
    if (text.includes('"weightsManifest"')) return 'tfjs';
  }
  return null;
}

function unknownFormat(bytes: Uint8Array, label: string): CheckpointError {
  let hint = '';
  if (isNpy(bytes))
    hint = ' It is a single .npy array; save checkpoints with np.savez, or parse it with parseNpy.';
  else if (bytes.length === 0) hint = ' The file is empty.';
  else if (bytes[0] === 0x80)
    hint = ' It looks like a Python pickle (e.g. a PyTorch .pt file), which cannot be read.';
  return new CheckpointError(
    'CHECKPOINT_UNKNOWN_FORMAT',
    `${label}: unrecognised checkpoint format; allowed: .npz (zip), .safetensors, TF.js model.json.${hint}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Locations: a local file (Node) or a URL (fetch).

type Location = { kind: 'file'; path: string } | { kind: 'url'; url: URL };

function isNode(): boolean {
  return typeof globalThis.process !== 'undefined' && !!globalThis.process.versions?.node;
}

function nodeErrorCode(e: unknown): string | undefined {
  return e && typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

async function toLocation(source: string | URL): Promise<Location> {
  const text = typeof source === 'string' ? source : source.href;
  if (/^file:/i.test(text)) {
    const { fileURLToPath } = await nodeImport<typeof import('node:url')>('node:url');
    try {
      return { kind: 'file', path: fileURLToPath(text) };
    } catch (cause) {
      throw new CheckpointError('CHECKPOINT_NOT_FOUND', `checkpoint ${q(text)} is not a valid file:// URL`, {
        cause,
      });
    }
  }
  if (typeof source !== 'string' || /^[a-z][a-z0-9+.-]*:\/\//i.test(text) || /^(blob|data):/i.test(text)) {
    try {
      return { kind: 'url', url: new URL(text) };
    } catch (cause) {
      throw new CheckpointError('CHECKPOINT_NOT_FOUND', `checkpoint ${q(text)} is not a valid URL`, {
        cause,
      });
    }
  }
  if (isNode()) return { kind: 'file', path: text };
  // In a browser a plain string is a URL relative to the page.
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return { kind: 'url', url: new URL(text, base) };
  } catch (cause) {
    throw new CheckpointError('CHECKPOINT_NOT_FOUND', `checkpoint ${q(text)} is not a valid URL`, { cause });
  }
}

function locationLabel(loc: Location): string {
  return loc.kind === 'file' ? loc.path : loc.url.href;
}

async function readLocation(
  loc: Location,
  fetchImpl: typeof fetch | undefined,
  what: string,
): Promise<Uint8Array> {
  if (loc.kind === 'file') {
    const fs = await nodeImport<typeof import('node:fs/promises')>('node:fs/promises');
    try {
      const buf = await fs.readFile(loc.path);
      // A plain view: Node Buffers behave differently from Uint8Array (e.g. slice).
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (cause) {
      const code = nodeErrorCode(cause);
      const reason =
        code === 'ENOENT' || code === 'ENOTDIR'
          ? 'does not exist'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${(cause as Error)?.message ?? cause})`;
      throw new CheckpointError('CHECKPOINT_NOT_FOUND', `${what} ${q(loc.path)} ${reason}`, { cause });
    }
  }
  const f = fetchImpl ?? globalThis.fetch;
  if (typeof f !== 'function') {
    throw new CheckpointError(
      'CHECKPOINT_NOT_FOUND',
      `${what} ${q(loc.url.href)} cannot be fetched: no fetch() is available; pass opts.fetch`,
    );
  }
  let res: Response;
  try {
    res = await f(loc.url.href);
  } catch (cause) {
    throw new CheckpointError(
      'CHECKPOINT_NOT_FOUND',
      `${what} ${q(loc.url.href)} could not be fetched (${(cause as Error)?.message ?? cause})`,
      { cause },
    );
  }
  if (!res.ok) {
    throw new CheckpointError(
      'CHECKPOINT_NOT_FOUND',
      `${what} ${q(loc.url.href)} could not be fetched: HTTP ${res.status} ${res.statusText}`.trim(),
    );
  }
  return new Uint8Array(await res.arrayBuffer());
}

async function resolveRelative(base: Location, rel: string): Promise<Location> {
  if (base.kind === 'url') return { kind: 'url', url: new URL(rel, base.url) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rel)) return toLocation(rel);
  const path = await nodeImport<typeof import('node:path')>('node:path');
  return { kind: 'file', path: path.resolve(path.dirname(base.path), rel) };
}

/** A local directory stands for the model.json inside it (what writeCheckpoint writes for tfjs). */
async function directoryToModelJson(loc: Location): Promise<Location> {
  if (loc.kind !== 'file') return loc;
  const fs = await nodeImport<typeof import('node:fs/promises')>('node:fs/promises');
  const stat = await fs.stat(loc.path).catch(() => undefined);
  if (!stat?.isDirectory()) return loc;
  const path = await nodeImport<typeof import('node:path')>('node:path');
  return { kind: 'file', path: path.join(loc.path, 'model.json') };
}

/**
 * Reads a checkpoint from a local path (Node), a file:// or http(s) URL, or bytes.
 * The format comes from `opts.format`, else from the bytes (zip → npz, u64 length + '{' → safetensors,
 * JSON with weightsManifest → tfjs). TF.js shards are resolved relative to the model.json location.
 */
export async function readCheckpoint(
  source: CheckpointSource,
  opts: ReadCheckpointOptions = {},
): Promise<RawCheckpoint> {
  if (opts.format !== undefined && !FORMATS.includes(opts.format)) {
    throw new CheckpointError(
      'ARGUMENT_INVALID',
      `readCheckpoint: format ${describe(opts.format)} is not supported; allowed: ${FORMATS.join(', ')}`,
    );
  }
  let bytes: Uint8Array;
  let loc: Location | undefined;
  let label: string;
  if (source instanceof Uint8Array) {
    bytes = source;
    label = 'checkpoint bytes';
  } else if (source instanceof ArrayBuffer) {
    bytes = new Uint8Array(source);
    label = 'checkpoint bytes';
  } else if (typeof source === 'string' || source instanceof URL) {
    loc = await directoryToModelJson(await toLocation(source));
    label = locationLabel(loc);
    bytes = await readLocation(loc, opts.fetch, 'checkpoint');
  } else {
    throw new CheckpointError(
      'ARGUMENT_INVALID',
      `readCheckpoint: source must be a path, URL, Uint8Array or ArrayBuffer, got ${describe(source)}`,
    );
  }

  // A .json location is a model.json even when its bytes are too damaged to sniff.
  const format =
    opts.format ??
    detectFormat(bytes) ??
    (loc && /\.json$/i.test(loc.kind === 'file' ? loc.path : loc.url.pathname) ? 'tfjs' : null);
  if (!format) throw unknownFormat(bytes, label);
  switch (format) {
    case 'npz':
      return readNpz(bytes, label);
    case 'safetensors':
      return readSafetensors(bytes, label);
    case 'tfjs': {
      const model = parseTfjsModelJson(bytes, label);
      const paths = model.weightsManifest.flatMap((g) => g.paths);
      if (paths.length > 0 && !loc) {
        throw new CheckpointError(
          'CHECKPOINT_NOT_FOUND',
          `${label}: a TF.js model.json given as bytes cannot locate its shard files (${paths.join(', ')}); pass its path or URL instead`,
        );
      }
      const shards = await Promise.all(
        paths.map(async (p) =>
          readLocation(await resolveRelative(loc!, p), opts.fetch, `shard ${q(p)} of ${label}: file`),
        ),
      );
      return decodeTfjsWeights(model.weightsManifest, shards, label);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Writing (Node only).

export interface WriteCheckpointOptions {
  /** Output format; default from the extension (.npz, .safetensors, .json) — a path without one needs it. */
  format?: CheckpointFormat;
  /** Precision for float arrays (tfjs: float32 or float16 only). */
  dtype?: FloatWriteDType;
  /** npz: deflate entries (np.savez_compressed). */
  compress?: boolean;
  /** safetensors `__metadata__` / tfjs `userDefinedMetadata`. */
  metadata?: Record<string, string>;
  /** tfjs: maximum bytes per shard file (default 4 MiB). */
  shardBytes?: number;
}

type Fs = typeof import('node:fs/promises');

function tempName(base: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return `.${base}.${typeof process !== 'undefined' ? process.pid : 0}-${rand}.tmp`;
}

function writeError(target: string, cause: unknown): unknown {
  const code = nodeErrorCode(cause);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new CheckpointError(
      'CHECKPOINT_NOT_FOUND',
      `cannot write checkpoint ${q(target)}: its folder does not exist`,
      { cause },
    );
  }
  return cause;
}

async function writeDurable(fs: Fs, path: string, data: Uint8Array): Promise<void> {
  const fh = await fs.open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to a temporary sibling of `target`, then renames it over `target`. */
async function writeFileAtomic(fs: Fs, target: string, data: Uint8Array): Promise<void> {
  const path = await nodeImport<typeof import('node:path')>('node:path');
  const tmp = path.join(path.dirname(target), tempName(path.basename(target)));
  try {
    await writeDurable(fs, tmp, data);
    await fs.rename(tmp, target);
  } catch (cause) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw writeError(target, cause);
  }
}

function formatFromPath(p: string): CheckpointFormat | undefined {
  const lower = p.toLowerCase();
  if (lower.endsWith('.npz')) return 'npz';
  if (lower.endsWith('.safetensors')) return 'safetensors';
  if (lower.endsWith('.json')) return 'tfjs';
  return undefined;
}

/**
 * Writes a checkpoint (Node only). npz/safetensors: one file, written to a temporary name in the same
 * folder and renamed, so `path` is either the old file or the complete new one.
 * tfjs: `path` is a directory (or a `.json` file path inside one) receiving model.json and the shards;
 * a new directory is built under a temporary name and renamed into place, an existing one gets each
 * file written to a temporary name and renamed, model.json last.
 */
export async function writeCheckpoint(
  path: string,
  ckpt: RawCheckpoint | Record<string, RawArray>,
  opts: WriteCheckpointOptions = {},
): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new CheckpointError(
      'ARGUMENT_INVALID',
      `writeCheckpoint: path must be a non-empty string, got ${describe(path)}`,
    );
  }
  const format = opts.format ?? formatFromPath(path);
  if (!format || !FORMATS.includes(format)) {
    throw new CheckpointError(
      'ARGUMENT_INVALID',
      `writeCheckpoint: cannot tell the format of ${q(path)}; pass opts.format (allowed: ${FORMATS.join(', ')}) or use a .npz/.safetensors/.json name`,
    );
  }
  checkpointEntries(ckpt);
  const fs = await nodeImport<typeof import('node:fs/promises')>('node:fs/promises');
  // Encode everything in memory first: a bad array fails here, before the disk is touched.
  if (format === 'npz') {
    await writeFileAtomic(fs, path, writeNpz(ckpt, { dtype: opts.dtype, compress: opts.compress }));
    return;
  }
  if (format === 'safetensors') {
    await writeFileAtomic(fs, path, writeSafetensors(ckpt, { dtype: opts.dtype, metadata: opts.metadata }));
    return;
  }

  const dtype = checkFloatDType(opts.dtype, ['float32', 'float16'], 'writeCheckpoint (tfjs)');
  const { modelJson, shards } = encodeTfjsModel(ckpt, {
    dtype: dtype as 'float32' | 'float16' | undefined,
    shardBytes: opts.shardBytes,
    metadata: opts.metadata,
  });
  const nodePath = await nodeImport<typeof import('node:path')>('node:path');
  const isJson = path.toLowerCase().endsWith('.json');
  const dir = isJson ? nodePath.dirname(path) : path;
  const modelName = isJson ? nodePath.basename(path) : 'model.json';
  const files = [
    ...shards,
    { name: modelName, data: new TextEncoder().encode(JSON.stringify(modelJson, null, 2)) },
  ];

  const stat = await fs.stat(dir).catch((e) => {
    if (nodeErrorCode(e) === 'ENOENT') return undefined;
    throw writeError(dir, e);
  });
  if (stat && !stat.isDirectory()) {
    throw new CheckpointError(
      'ARGUMENT_INVALID',
      `writeCheckpoint: ${q(dir)} exists and is not a directory; a TF.js checkpoint is a directory of model.json and shards`,
    );
  }
  if (!stat) {
    // Build the whole directory under a temporary name, then rename it into place in one step.
    const tmpDir = nodePath.join(nodePath.dirname(dir), tempName(nodePath.basename(dir)));
    try {
      await fs.mkdir(tmpDir);
      for (const f of files) await writeDurable(fs, nodePath.join(tmpDir, f.name), f.data);
      await fs.rename(tmpDir, dir);
    } catch (cause) {
      await fs.rm(tmpDir, { recursive: true, force: true }).catch(() => {});
      throw writeError(dir, cause);
    }
    return;
  }
  // Existing directory: write every file under a temporary name first, then rename; model.json goes
  // last so it never points at shards that are not complete.
  const temps = files.map((f) => ({ ...f, tmp: nodePath.join(dir, tempName(f.name)) }));
  try {
    for (const f of temps) await writeDurable(fs, f.tmp, f.data);
  } catch (cause) {
    await Promise.all(temps.map((f) => fs.rm(f.tmp, { force: true }).catch(() => {})));
    throw writeError(dir, cause);
  }
  for (let i = 0; i < temps.length; i++) {
    try {
      await fs.rename(temps[i].tmp, nodePath.join(dir, temps[i].name));
    } catch (cause) {
      await Promise.all(temps.slice(i).map((f) => fs.rm(f.tmp, { force: true }).catch(() => {})));
      throw writeError(dir, cause);
    }
  }
}
