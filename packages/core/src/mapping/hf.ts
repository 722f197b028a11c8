/**
 * Hugging Face `ViTModel` / `ViTForImageClassification` names. The position embedding always has a
 * cls entry; LayerNorm eps defaults to 1e-12 (ViTConfig); exact GELU.
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
  squareSide,
  Taker,
  takeTorchLinear,
  takeTorchNorm,
} from './common';

export const HF_PREFIXES = ['vit.', ''];

export function findHfPrefix(raw: RawCheckpoint): string | null {
  for (const p of HF_PREFIXES) if (raw.has(`${p}embeddings.patch_embeddings.projection.weight`)) return p;
  return null;
}

export function mapHf(raw: RawCheckpoint, overrides: Partial<FlexiViTConfig> = {}): MappedCheckpoint {
  const prefix = findHfPrefix(raw);
  if (prefix === null)
    throw new CheckpointError(
      'CHECKPOINT_MISSING_KEY',
      'No HF "embeddings.patch_embeddings.projection.weight" in the checkpoint.',
    );
  const t = new Taker(raw, prefix, 'hf');
  const out = new Map<ParamPath, HostArray>();
  const conv = t.take('embeddings.patch_embeddings.projection.weight', [null, null, null, null]);
  const [width, channels, kh, kw] = conv.shape;
  out.set('patch.kernel', permute(conv, [2, 3, 1, 0]));
  out.set('patch.bias', t.take('embeddings.patch_embeddings.projection.bias', [width]));
  out.set('cls', reshape(t.take('embeddings.cls_token', [1, 1, width]), [1, width]));
  const pos = t.take('embeddings.position_embeddings', [1, null, width]);
  const side = squareSide(pos.shape[1] - 1);
  if (side === null) {
    throw new CheckpointError(
      'CHECKPOINT_SHAPE_MISMATCH',
      `"${prefix}embeddings.position_embeddings" has ${pos.shape[1]} entries: not 1 + a square grid.`,
    );
  }
  out.set('posemb', reshape(pos, [pos.shape[1], width]));
  const depth = countBlocks(raw, prefix, /^encoder\.layer\.(\d+)\./);
  if (depth === 0)
    throw new CheckpointError('CHECKPOINT_MISSING_KEY', `No "${prefix}encoder.layer.0.…" in the checkpoint.`);
  let mlpDim = 0;
  for (let i = 0; i < depth; i++) {
    const s = `encoder.layer.${i}.`;
    const b = `blocks.${i}.`;
    takeTorchNorm(t, out, `${s}layernorm_before`, `${b}ln1`, width);
    for (const p of ['query', 'key', 'value']) {
      takeTorchLinear(t, out, `${s}attention.attention.${p}`, `${b}attn.${p}`, width, width);
    }
    takeTorchLinear(t, out, `${s}attention.output.dense`, `${b}attn.out`, width, width);
    takeTorchNorm(t, out, `${s}layernorm_after`, `${b}ln2`, width);
    mlpDim = takeTorchLinear(t, out, `${s}intermediate.dense`, `${b}mlp.fc1`, width, null);
    takeTorchLinear(t, out, `${s}output.dense`, `${b}mlp.fc2`, mlpDim, width);
  }
  takeTorchNorm(t, out, 'layernorm', 'norm', width);
  const config = defineConfig({
    width,
    depth,
    heads: overrides.heads ?? Math.max(1, Math.round(width / 64)),
    mlpDim,
    channels,
    kernelSize: [kh, kw],
    posembGrid: [side, side],
    pool: 'tok',
    gelu: 'erf',
    layerNormEps: 1e-12,
    posembIncludesCls: true,
    resolution: [side * kh, side * kw],
    patchSize: [kh, kw],
    normalize: 'bigvision',
    ...overrides,
  });
  return { layout: 'hf', prefix, config, params: out, rest: t.rest() };
}
