/**
 * big_vision naming (Flax, `/`-joined): FlexiViT and plain ViT `.npz` files, per-block or scanned
 * `encoderblock` layouts, the original-ViT names (`MultiHeadDotProductAttention_1`,
 * `posembed_input`), MAPHead. Flax kernels are already [in, out]; only attention kernels reshape.
 */
import type { RawArray, RawCheckpoint } from '../checkpoint/types';
import { CheckpointError } from '../errors';
import { defineConfig, type FlexiViTConfig } from '../model/config';
import type { ParamPath } from '../model/params';
import {
  countBlocks,
  type HostArray,
  type MappedCheckpoint,
  reshape,
  squareSide,
  Taker,
  unstack,
} from './common';

/** Where big_vision trees keep the image encoder (optax era, old Flax optimizer, two-tower img). */
export const BIGVISION_PREFIXES = ['params/', 'opt/target/', 'params/img/', 'img/', ''];

export function findBigVisionPrefix(raw: RawCheckpoint): string | null {
  for (const p of BIGVISION_PREFIXES) if (raw.has(`${p}embedding/kernel`)) return p;
  return null;
}

/** Module names inside one encoder block: big_vision's vs the original ViT's. */
function blockNames(t: Taker, stem: string) {
  const original = t.has(`${stem}MultiHeadDotProductAttention_1/query/kernel`);
  return original
    ? { ln1: 'LayerNorm_0', attn: 'MultiHeadDotProductAttention_1', ln2: 'LayerNorm_2', mlp: 'MlpBlock_3' }
    : { ln1: 'LayerNorm_0', attn: 'MultiHeadDotProductAttention_0', ln2: 'LayerNorm_1', mlp: 'MlpBlock_0' };
}

export function mapBigVision(raw: RawCheckpoint, overrides: Partial<FlexiViTConfig> = {}): MappedCheckpoint {
  const prefix = findBigVisionPrefix(raw);
  if (prefix === null) {
    throw new CheckpointError(
      'CHECKPOINT_MISSING_KEY',
      `No big_vision "embedding/kernel" under ${BIGVISION_PREFIXES.map((p) => `"${p}"`).join(', ')}.`,
    );
  }
  const t = new Taker(raw, prefix, 'bigvision');
  const out = new Map<ParamPath, HostArray>();
  const kernel = t.take('embedding/kernel', [null, null, null, null]);
  const [kh, kw, channels, width] = kernel.shape;
  out.set('patch.kernel', kernel);
  out.set('patch.bias', t.take('embedding/bias', [width]));

  // Position embedding: big_vision top level, or the original ViT's (maybe with a cls entry).
  const posName = t.has('pos_embedding') ? 'pos_embedding' : 'Transformer/posembed_input/pos_embedding';
  const pos = t.take(posName, [1, null, width]);
  const hasCls = t.has('cls');
  let n = pos.shape[1];
  let posembIncludesCls = false;
  if (hasCls && squareSide(n) === null && squareSide(n - 1) !== null) {
    posembIncludesCls = true;
    n -= 1;
  }
  const side = squareSide(n);
  if (side === null) {
    throw new CheckpointError(
      'CHECKPOINT_SHAPE_MISMATCH',
      `"${prefix}${posName}" has ${pos.shape[1]} entries: not a square grid (with or without a cls entry).`,
    );
  }
  out.set('posemb', reshape(pos, [pos.shape[1], width]));
  if (hasCls) out.set('cls', reshape(t.take('cls', [1, 1, width]), [1, width]));

  // Blocks: per-block `encoderblock_{i}` or one scanned `encoderblock` with a leading depth axis.
  const scanned = t.has('Transformer/encoderblock/LayerNorm_0/scale');
  const depth = scanned
    ? raw.get(`${prefix}Transformer/encoderblock/LayerNorm_0/scale`)!.shape[0]
    : countBlocks(raw, prefix, /^Transformer\/encoderblock_(\d+)\//);
  if (depth === 0)
    throw new CheckpointError(
      'CHECKPOINT_MISSING_KEY',
      `No "${prefix}Transformer/encoderblock_0/…" in the checkpoint.`,
    );
  let heads = 0;
  let mlpDim = 0;
  for (let i = 0; i < depth; i++) {
    const stem = scanned ? 'Transformer/encoderblock/' : `Transformer/encoderblock_${i}/`;
    const get = (name: string, shape: (number | null)[]) =>
      scanned ? unstack(t.take(stem + name, [depth, ...shape]), i) : t.take(stem + name, shape);
    const names = blockNames(t, stem);
    const q = get(`${names.attn}/query/kernel`, [width, null, null]);
    heads = q.shape[1];
    const hd = q.shape[2];
    if (heads * hd !== width) {
      throw new CheckpointError(
        'CHECKPOINT_SHAPE_MISMATCH',
        `"${prefix}${stem}${names.attn}/query/kernel" is [${q.shape.join(', ')}]; heads × head_dim must equal ${width}.`,
      );
    }
    const fc1 = get(`${names.mlp}/Dense_0/kernel`, [width, null]);
    mlpDim = fc1.shape[1];
    const b = `blocks.${i}.`;
    mapAttention(out, `${b}attn.`, (name, shape) => get(`${names.attn}/${name}`, shape), width, heads);
    out.set(`${b}ln1.scale`, get(`${names.ln1}/scale`, [width]));
    out.set(`${b}ln1.bias`, get(`${names.ln1}/bias`, [width]));
    out.set(`${b}ln2.scale`, get(`${names.ln2}/scale`, [width]));
    out.set(`${b}ln2.bias`, get(`${names.ln2}/bias`, [width]));
    out.set(`${b}mlp.fc1.kernel`, fc1);
    out.set(`${b}mlp.fc1.bias`, get(`${names.mlp}/Dense_0/bias`, [mlpDim]));
    out.set(`${b}mlp.fc2.kernel`, get(`${names.mlp}/Dense_1/kernel`, [mlpDim, width]));
    out.set(`${b}mlp.fc2.bias`, get(`${names.mlp}/Dense_1/bias`, [width]));
  }
  out.set('norm.scale', t.take('Transformer/encoder_norm/scale', [width]));
  out.set('norm.bias', t.take('Transformer/encoder_norm/bias', [width]));

  const hasMap = t.has('MAPHead_0/probe');
  if (hasMap) {
    out.set('map.probe', reshape(t.take('MAPHead_0/probe', [1, 1, width]), [1, width]));
    mapAttention(
      out,
      'map.attn.',
      (name, shape) => t.take(`MAPHead_0/MultiHeadDotProductAttention_0/${name}`, shape),
      width,
      heads,
    );
    out.set('map.ln.scale', t.take('MAPHead_0/LayerNorm_0/scale', [width]));
    out.set('map.ln.bias', t.take('MAPHead_0/LayerNorm_0/bias', [width]));
    const m1 = t.take('MAPHead_0/MlpBlock_0/Dense_0/kernel', [width, null]);
    out.set('map.mlp.fc1.kernel', m1);
    out.set('map.mlp.fc1.bias', t.take('MAPHead_0/MlpBlock_0/Dense_0/bias', [m1.shape[1]]));
    out.set('map.mlp.fc2.kernel', t.take('MAPHead_0/MlpBlock_0/Dense_1/kernel', [m1.shape[1], width]));
    out.set('map.mlp.fc2.bias', t.take('MAPHead_0/MlpBlock_0/Dense_1/bias', [width]));
  }

  // big_vision checkpoints run at 240 px by default (the FlexiViT recipe), at their stored patch
  // size when it tiles 240 and is a usable size, else at 16.
  const patchSize: [number, number] =
    kh === kw && 240 % kh === 0 && kh <= 48 && kh !== 32 ? [kh, kw] : [16, 16];
  const config = defineConfig({
    width,
    depth,
    heads,
    mlpDim,
    channels,
    kernelSize: [kh, kw],
    posembGrid: [side, side],
    pool: hasCls ? 'tok' : hasMap ? 'map' : 'gap',
    gelu: 'tanh',
    layerNormEps: 1e-6,
    posembIncludesCls,
    resolution: [240, 240],
    patchSize,
    normalize: 'bigvision',
    ...overrides,
  });
  return { layout: 'bigvision', prefix, config, params: out, rest: t.rest() };
}

/** Flax MHA kernels: query/key/value (D, H, hd) → [D, D]; out (H, hd, D) → [D, D]. */
function mapAttention(
  out: Map<ParamPath, HostArray>,
  path: string,
  get: (name: string, shape: (number | null)[]) => HostArray,
  width: number,
  heads: number,
): void {
  const hd = width / heads;
  for (const p of ['query', 'key', 'value'] as const) {
    out.set(`${path}${p}.kernel`, reshape(get(`${p}/kernel`, [width, heads, hd]), [width, width]));
    out.set(`${path}${p}.bias`, reshape(get(`${p}/bias`, [heads, hd]), [width]));
  }
  out.set(`${path}out.kernel`, reshape(get('out/kernel', [heads, hd, width]), [width, width]));
  out.set(`${path}out.bias`, get('out/bias', [width]));
}

/**
 * The inverse: our params → big_vision names under `prefix` (per-block layout), so files we write
 * load in big_vision and timm. `extra` (e.g. a classifier head) is added under the same prefix.
 */
export function toBigVision(
  params: Map<ParamPath, HostArray>,
  config: FlexiViTConfig,
  extra: Record<string, HostArray> = {},
  prefix = 'params/',
): RawCheckpoint {
  const out: RawCheckpoint = new Map();
  const d = config.width;
  const hd = d / config.heads;
  const put = (name: string, a: HostArray | undefined, shape?: number[]) => {
    if (!a) return;
    const arr: RawArray = { dtype: 'float32', shape: shape ?? a.shape, data: a.data };
    out.set(prefix + name, arr);
  };
  const attn = (stem: string, path: string) => {
    for (const p of ['query', 'key', 'value']) {
      put(`${stem}/${p}/kernel`, params.get(`${path}${p}.kernel`), [d, config.heads, hd]);
      put(`${stem}/${p}/bias`, params.get(`${path}${p}.bias`), [config.heads, hd]);
    }
    put(`${stem}/out/kernel`, params.get(`${path}out.kernel`), [config.heads, hd, d]);
    put(`${stem}/out/bias`, params.get(`${path}out.bias`));
  };
  put('embedding/kernel', params.get('patch.kernel'));
  put('embedding/bias', params.get('patch.bias'));
  const pos = params.get('posemb')!;
  put(config.posembIncludesCls ? 'Transformer/posembed_input/pos_embedding' : 'pos_embedding', pos, [
    1,
    ...pos.shape,
  ]);
  put('cls', params.get('cls'), [1, 1, d]);
  for (let i = 0; i < config.depth; i++) {
    const s = `Transformer/encoderblock_${i}/`;
    const b = `blocks.${i}.`;
    put(`${s}LayerNorm_0/scale`, params.get(`${b}ln1.scale`));
    put(`${s}LayerNorm_0/bias`, params.get(`${b}ln1.bias`));
    attn(`${s}MultiHeadDotProductAttention_0`, `${b}attn.`);
    put(`${s}LayerNorm_1/scale`, params.get(`${b}ln2.scale`));
    put(`${s}LayerNorm_1/bias`, params.get(`${b}ln2.bias`));
    for (const [k, name] of [
      ['fc1', 'Dense_0'],
      ['fc2', 'Dense_1'],
    ] as const) {
      put(`${s}MlpBlock_0/${name}/kernel`, params.get(`${b}mlp.${k}.kernel`));
      put(`${s}MlpBlock_0/${name}/bias`, params.get(`${b}mlp.${k}.bias`));
    }
  }
  put('Transformer/encoder_norm/scale', params.get('norm.scale'));
  put('Transformer/encoder_norm/bias', params.get('norm.bias'));
  if (params.has('map.probe')) {
    put('MAPHead_0/probe', params.get('map.probe'), [1, 1, d]);
    attn('MAPHead_0/MultiHeadDotProductAttention_0', 'map.attn.');
    put('MAPHead_0/LayerNorm_0/scale', params.get('map.ln.scale'));
    put('MAPHead_0/LayerNorm_0/bias', params.get('map.ln.bias'));
    for (const [k, name] of [
      ['fc1', 'Dense_0'],
      ['fc2', 'Dense_1'],
    ] as const) {
      put(`MAPHead_0/MlpBlock_0/${name}/kernel`, params.get(`map.mlp.${k}.kernel`));
      put(`MAPHead_0/MlpBlock_0/${name}/bias`, params.get(`map.mlp.${k}.bias`));
    }
  }
  for (const [name, a] of Object.entries(extra)) put(name, a);
  return out;
}
