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
} from './common';
import { linearKernel } from './timm';

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
  const lin = (name: string, shape: [number | null, number]) => linearKernel(t.take(`${name}.weight`, shape));
  for (let i = 0; i < depth; i++) {
    const s = `encoder.layer.${i}.`;
    const b = `blocks.${i}.`;
    out.set(`${b}ln1.scale`, t.take(`${s}layernorm_before.weight`, [width]));
    out.set(`${b}ln1.bias`, t.take(`${s}layernorm_before.bias`, [width]));
    for (const p of ['query', 'key', 'value']) {
      out.set(`${b}attn.${p}.kernel`, lin(`${s}attention.attention.${p}`, [width, width]));
      out.set(`${b}attn.${p}.bias`, t.take(`${s}attention.attention.${p}.bias`, [width]));
    }
    out.set(`${b}attn.out.kernel`, lin(`${s}attention.output.dense`, [width, width]));
    out.set(`${b}attn.out.bias`, t.take(`${s}attention.output.dense.bias`, [width]));
    out.set(`${b}ln2.scale`, t.take(`${s}layernorm_after.weight`, [width]));
    out.set(`${b}ln2.bias`, t.take(`${s}layernorm_after.bias`, [width]));
    const fc1 = t.take(`${s}intermediate.dense.weight`, [null, width]);
    mlpDim = fc1.shape[0];
    out.set(`${b}mlp.fc1.kernel`, permute(fc1, [1, 0]));
    out.set(`${b}mlp.fc1.bias`, t.take(`${s}intermediate.dense.bias`, [mlpDim]));
    out.set(`${b}mlp.fc2.kernel`, lin(`${s}output.dense`, [width, mlpDim]));
    out.set(`${b}mlp.fc2.bias`, t.take(`${s}output.dense.bias`, [width]));
  }
  out.set('norm.scale', t.take('layernorm.weight', [width]));
  out.set('norm.bias', t.take('layernorm.bias', [width]));
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
