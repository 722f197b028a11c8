/**
 * timm ViT / FlexiViT state dicts (PyTorch names, `.`-joined): conv weight (D, C, kh, kw) → HWIO,
 * fused `attn.qkv` (3D, D) split into q/k/v, Linear weights [out, in] transposed. The head count is
 * not in the tensors: it defaults to width/64 (every timm ViT size) unless given.
 */
import type { RawCheckpoint } from '../checkpoint/types';
import { CheckpointError } from '../errors';
import { defineConfig, type FlexiViTConfig } from '../model/config';
import type { ParamPath } from '../model/params';
import {
  countBlocks,
  type HostArray,
  type MappedCheckpoint,
  permute,
  reshape,
  sliceRows,
  squareSide,
  Taker,
  takeTorchLinear,
  takeTorchNorm,
} from './common';

export const TIMM_PREFIXES = ['', 'module.', 'model.', 'state_dict.'];

export function findTimmPrefix(raw: RawCheckpoint): string | null {
  for (const p of TIMM_PREFIXES) if (raw.has(`${p}patch_embed.proj.weight`)) return p;
  return null;
}

/** torch Linear weight [out, in] → our kernel [in, out]. */
export const linearKernel = (w: HostArray) => permute(w, [1, 0]);

export function mapTimm(raw: RawCheckpoint, overrides: Partial<FlexiViTConfig> = {}): MappedCheckpoint {
  const prefix = findTimmPrefix(raw);
  if (prefix === null)
    throw new CheckpointError(
      'CHECKPOINT_MISSING_KEY',
      'No timm "patch_embed.proj.weight" in the checkpoint.',
    );
  const t = new Taker(raw, prefix, 'timm');
  const out = new Map<ParamPath, HostArray>();
  const conv = t.take('patch_embed.proj.weight', [null, null, null, null]);
  const [width, channels, kh, kw] = conv.shape;
  out.set('patch.kernel', permute(conv, [2, 3, 1, 0]));
  out.set('patch.bias', t.take('patch_embed.proj.bias', [width]));
  const hasCls = t.has('cls_token');
  if (hasCls) out.set('cls', reshape(t.take('cls_token', [1, 1, width]), [1, width]));
  const pos = t.take('pos_embed', [1, null, width]);
  let n = pos.shape[1];
  // no_embed_class models (timm FlexiViT) have exactly a square grid; others add a cls entry.
  const posembIncludesCls = hasCls && squareSide(n) === null && squareSide(n - 1) !== null;
  if (posembIncludesCls) n -= 1;
  const side = squareSide(n);
  if (side === null)
    throw new CheckpointError(
      'CHECKPOINT_SHAPE_MISMATCH',
      `"${prefix}pos_embed" has ${pos.shape[1]} entries: not a square grid.`,
    );
  out.set('posemb', reshape(pos, [pos.shape[1], width]));

  const depth = countBlocks(raw, prefix, /^blocks\.(\d+)\./);
  if (depth === 0)
    throw new CheckpointError('CHECKPOINT_MISSING_KEY', `No "${prefix}blocks.0.…" in the checkpoint.`);
  let mlpDim = 0;
  for (let i = 0; i < depth; i++) {
    const s = `blocks.${i}.`;
    const b = `blocks.${i}.`;
    takeTorchNorm(t, out, `${s}norm1`, `${b}ln1`, width);
    const qkv = t.take(`${s}attn.qkv.weight`, [3 * width, width]);
    const qkvBias = t.take(`${s}attn.qkv.bias`, [3 * width]);
    ['query', 'key', 'value'].forEach((p, j) => {
      out.set(`${b}attn.${p}.kernel`, linearKernel(sliceRows(qkv, j * width, (j + 1) * width)));
      out.set(`${b}attn.${p}.bias`, sliceRows(qkvBias, j * width, (j + 1) * width));
    });
    takeTorchLinear(t, out, `${s}attn.proj`, `${b}attn.out`, width, width);
    takeTorchNorm(t, out, `${s}norm2`, `${b}ln2`, width);
    mlpDim = takeTorchLinear(t, out, `${s}mlp.fc1`, `${b}mlp.fc1`, width, null);
    takeTorchLinear(t, out, `${s}mlp.fc2`, `${b}mlp.fc2`, mlpDim, width);
  }
  // global_pool='avg' models keep `norm` as Identity and normalise after pooling (`fc_norm`).
  const fcNorm = t.has('fc_norm.weight') && !t.has('norm.weight');
  const normName = fcNorm ? 'fc_norm' : 'norm';
  takeTorchNorm(t, out, normName, 'norm', width);
  const hasMap = t.has('attn_pool.latent');
  if (hasMap) {
    out.set('map.probe', reshape(t.take('attn_pool.latent', [1, 1, width]), [1, width]));
    takeTorchLinear(t, out, 'attn_pool.q', 'map.attn.query', width, width);
    const kv = t.take('attn_pool.kv.weight', [2 * width, width]);
    const kvBias = t.take('attn_pool.kv.bias', [2 * width]);
    out.set('map.attn.key.kernel', linearKernel(sliceRows(kv, 0, width)));
    out.set('map.attn.key.bias', sliceRows(kvBias, 0, width));
    out.set('map.attn.value.kernel', linearKernel(sliceRows(kv, width, 2 * width)));
    out.set('map.attn.value.bias', sliceRows(kvBias, width, 2 * width));
    takeTorchLinear(t, out, 'attn_pool.proj', 'map.attn.out', width, width);
    takeTorchNorm(t, out, 'attn_pool.norm', 'map.ln', width);
    const m = takeTorchLinear(t, out, 'attn_pool.mlp.fc1', 'map.mlp.fc1', width, null);
    takeTorchLinear(t, out, 'attn_pool.mlp.fc2', 'map.mlp.fc2', m, width);
  }
  const config = defineConfig({
    width,
    depth,
    heads: overrides.heads ?? Math.max(1, Math.round(width / 64)),
    mlpDim,
    channels,
    kernelSize: [kh, kw],
    posembGrid: [side, side],
    pool: hasCls ? 'tok' : hasMap ? 'map' : 'gap',
    gelu: 'erf',
    layerNormEps: 1e-6,
    posembIncludesCls,
    fcNorm,
    resolution: [side * kh, side * kw],
    patchSize: [kh, kw],
    normalize: 'bigvision',
    ...overrides,
  });
  return { layout: 'timm', prefix, config, params: out, rest: t.rest() };
}
