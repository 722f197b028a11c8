/** Shared pieces of the checkpoint-naming mappers: checked lookups and host-side reshapes. */
import type { RawArray, RawCheckpoint } from '../checkpoint/types';
import { CheckpointError } from '../errors';
import type { FlexiViTConfig } from '../model/config';
import type { ParamPath } from '../model/params';

export type Layout = 'bigvision' | 'timm' | 'hf';

/** A float32 array in our layout, keyed by canonical param path. */
export interface HostArray {
  shape: number[];
  data: Float32Array;
}

export interface MappedCheckpoint {
  layout: Layout;
  /** The prefix the encoder names were found under (e.g. `params/`, `params/img/`, `vit.`). */
  prefix: string;
  config: FlexiViTConfig;
  params: Map<ParamPath, HostArray>;
  /** Entries the encoder did not use (heads' params), names relative to `prefix`. */
  rest: RawCheckpoint;
}

/** Checked access to a raw checkpoint under a prefix; records what was used. */
export class Taker {
  readonly used = new Set<string>();
  constructor(
    readonly raw: RawCheckpoint,
    readonly prefix: string,
    readonly layout: Layout,
  ) {}

  has(name: string): boolean {
    return this.raw.has(this.prefix + name);
  }

  /** The float data of `name`, checked against `shape` (null entries match any size). */
  take(name: string, shape?: (number | null)[]): HostArray {
    const full = this.prefix + name;
    const arr = this.raw.get(full);
    if (!arr) {
      throw new CheckpointError('CHECKPOINT_MISSING_KEY', `The ${this.layout} checkpoint has no "${full}".`);
    }
    if (!(arr.data instanceof Float32Array)) {
      throw new CheckpointError(
        'CHECKPOINT_UNSUPPORTED_DTYPE',
        `"${full}" is ${arr.dtype}; a float array is needed.`,
      );
    }
    if (
      shape &&
      (shape.length !== arr.shape.length || shape.some((s, i) => s !== null && s !== arr.shape[i]))
    ) {
      const want = shape.map((s) => (s === null ? '?' : s)).join(', ');
      throw new CheckpointError(
        'CHECKPOINT_SHAPE_MISMATCH',
        `"${full}" has shape [${arr.shape.join(', ')}], expected [${want}].`,
      );
    }
    this.used.add(full);
    return { shape: arr.shape.slice(), data: arr.data };
  }

  /** Entries not taken, with the prefix stripped where present. */
  rest(): RawCheckpoint {
    const out: RawCheckpoint = new Map();
    for (const [k, v] of this.raw) {
      if (this.used.has(k)) continue;
      out.set(k.startsWith(this.prefix) ? k.slice(this.prefix.length) : k, v);
    }
    return out;
  }
}

/** Permute the axes of a row-major array (host side, float32). */
export function permute(a: HostArray, perm: number[]): HostArray {
  const { shape, data } = a;
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const strides = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i] * strides[i];
    out[o] = data[src];
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return { shape: outShape, data: out };
}

export function reshape(a: HostArray, shape: number[]): HostArray {
  return { shape, data: a.data };
}

/** Rows [from, to) of a 2-D array, or elements of a 1-D one. */
export function sliceRows(a: HostArray, from: number, to: number): HostArray {
  const rowSize = a.shape.length > 1 ? a.shape.slice(1).reduce((x, y) => x * y, 1) : 1;
  return { shape: [to - from, ...a.shape.slice(1)], data: a.data.slice(from * rowSize, to * rowSize) };
}

/** Entry `i` of a stacked (scanned) array with a leading depth axis. */
export function unstack(a: HostArray, i: number): HostArray {
  const inner = a.shape.slice(1);
  const size = inner.reduce((x, y) => x * y, 1);
  return { shape: inner, data: a.data.slice(i * size, (i + 1) * size) };
}

/** Side of a square grid with n cells, or null. */
export function squareSide(n: number): number | null {
  const s = Math.round(Math.sqrt(n));
  return s * s === n ? s : null;
}

/** Count numbered blocks `${stem}{i}/…` present in a checkpoint. */
export function countBlocks(raw: RawCheckpoint, prefix: string, re: RegExp): number {
  let depth = 0;
  for (const k of raw.keys()) {
    if (!k.startsWith(prefix)) continue;
    const m = re.exec(k.slice(prefix.length));
    if (m) depth = Math.max(depth, Number(m[1]) + 1);
  }
  return depth;
}

export function rawToHost(a: RawArray): HostArray {
  return { shape: a.shape.slice(), data: a.data as Float32Array };
}

/**
 * For head packages: take `name` from the entries a backbone left (`Backbone.rest`), checked against
 * `shape` (null = any size); a missing or mis-shaped entry gives a CheckpointError naming it.
 */
export function takeArray(
  rest: RawCheckpoint,
  name: string,
  shape: (number | null)[] | undefined,
  layout: Layout,
): HostArray {
  return new Taker(rest, '', layout).take(name, shape);
}

/** A torch LayerNorm `${name}.weight|bias` → our `${path}.scale|bias`. */
export function takeTorchNorm(
  t: Taker,
  out: Map<ParamPath, HostArray>,
  name: string,
  path: string,
  width: number,
): void {
  out.set(`${path}.scale`, t.take(`${name}.weight`, [width]));
  out.set(`${path}.bias`, t.take(`${name}.bias`, [width]));
}

/**
 * A torch Linear `${name}.weight [out, in]|bias` → our `${path}.kernel [in, out]|bias`. `outDim`
 * null accepts any output size; returns the output size.
 */
export function takeTorchLinear(
  t: Taker,
  out: Map<ParamPath, HostArray>,
  name: string,
  path: string,
  inDim: number,
  outDim: number | null,
): number {
  const w = t.take(`${name}.weight`, [outDim, inDim]);
  out.set(`${path}.kernel`, permute(w, [1, 0]));
  out.set(`${path}.bias`, t.take(`${name}.bias`, [w.shape[0]]));
  return w.shape[0];
}
