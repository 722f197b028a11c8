/**
 * Checkpoint naming: every layout maps to the same model. The timm and HF dicts are built here
 * from the documented conventions (conv (D, C, kh, kw), Linear [out, in], fused qkv), not with
 * the mapper's own code, so a transposition bug cannot cancel itself out.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RawArray, RawCheckpoint } from '../src/checkpoint/types';
import { CheckpointError } from '../src/errors';
import { type HostArray, mapCheckpoint, toBigVision } from '../src/mapping';
import { defineConfig, type FlexiViTConfig } from '../src/model/config';
import { initParams, paramsFromHost } from '../src/model/create';
import { FlexiViT } from '../src/model/flexivit';
import { useCpu } from './setup';

beforeAll(useCpu);

const raw = (shape: number[], data: Float32Array): RawArray => ({ dtype: 'float32', shape, data });

/** Row-major transpose of a 2-D array. */
function t2(a: HostArray): Float32Array {
  const [r, c] = a.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a.data[i * c + j];
  return out;
}

/** HWIO (kh, kw, C, D) → torch conv weight (D, C, kh, kw). */
function hwioToOihw(a: HostArray): Float32Array {
  const [kh, kw, c, d] = a.shape;
  const out = new Float32Array(a.data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let ci = 0; ci < c; ci++)
        for (let o = 0; o < d; o++)
          out[((o * c + ci) * kh + y) * kw + x] = a.data[((y * kw + x) * c + ci) * d + o];
  return out;
}

function toTimm(p: Map<string, HostArray>, cfg: FlexiViTConfig): RawCheckpoint {
  const out: RawCheckpoint = new Map();
  const d = cfg.width;
  const [kh, kw] = cfg.kernelSize;
  const put = (name: string, shape: number[], data: Float32Array) => out.set(name, raw(shape, data));
  put('patch_embed.proj.weight', [d, cfg.channels, kh, kw], hwioToOihw(p.get('patch.kernel')!));
  put('patch_embed.proj.bias', [d], p.get('patch.bias')!.data);
  put('cls_token', [1, 1, d], p.get('cls')!.data);
  const pos = p.get('posemb')!;
  put('pos_embed', [1, pos.shape[0], d], pos.data);
  for (let i = 0; i < cfg.depth; i++) {
    const b = `blocks.${i}.`;
    put(`${b}norm1.weight`, [d], p.get(`${b}ln1.scale`)!.data);
    put(`${b}norm1.bias`, [d], p.get(`${b}ln1.bias`)!.data);
    const qkv = new Float32Array(3 * d * d);
    const qkvB = new Float32Array(3 * d);
    ['query', 'key', 'value'].forEach((n, j) => {
      qkv.set(t2(p.get(`${b}attn.${n}.kernel`)!), j * d * d);
      qkvB.set(p.get(`${b}attn.${n}.bias`)!.data, j * d);
    });
    put(`${b}attn.qkv.weight`, [3 * d, d], qkv);
    put(`${b}attn.qkv.bias`, [3 * d], qkvB);
    put(`${b}attn.proj.weight`, [d, d], t2(p.get(`${b}attn.out.kernel`)!));
    put(`${b}attn.proj.bias`, [d], p.get(`${b}attn.out.bias`)!.data);
    put(`${b}norm2.weight`, [d], p.get(`${b}ln2.scale`)!.data);
    put(`${b}norm2.bias`, [d], p.get(`${b}ln2.bias`)!.data);
    put(`${b}mlp.fc1.weight`, [cfg.mlpDim, d], t2(p.get(`${b}mlp.fc1.kernel`)!));
    put(`${b}mlp.fc1.bias`, [cfg.mlpDim], p.get(`${b}mlp.fc1.bias`)!.data);
    put(`${b}mlp.fc2.weight`, [d, cfg.mlpDim], t2(p.get(`${b}mlp.fc2.kernel`)!));
    put(`${b}mlp.fc2.bias`, [d], p.get(`${b}mlp.fc2.bias`)!.data);
  }
  put('norm.weight', [d], p.get('norm.scale')!.data);
  put('norm.bias', [d], p.get('norm.bias')!.data);
  put('head.weight', [5, d], new Float32Array(5 * d).fill(0.5));
  put('head.bias', [5], new Float32Array(5));
  return out;
}

function toHf(p: Map<string, HostArray>, cfg: FlexiViTConfig): RawCheckpoint {
  const out: RawCheckpoint = new Map();
  const d = cfg.width;
  const [kh, kw] = cfg.kernelSize;
  const put = (name: string, shape: number[], data: Float32Array) => out.set(`vit.${name}`, raw(shape, data));
  put(
    'embeddings.patch_embeddings.projection.weight',
    [d, cfg.channels, kh, kw],
    hwioToOihw(p.get('patch.kernel')!),
  );
  put('embeddings.patch_embeddings.projection.bias', [d], p.get('patch.bias')!.data);
  put('embeddings.cls_token', [1, 1, d], p.get('cls')!.data);
  const pos = p.get('posemb')!;
  put('embeddings.position_embeddings', [1, pos.shape[0], d], pos.data);
  for (let i = 0; i < cfg.depth; i++) {
    const s = `encoder.layer.${i}.`;
    const b = `blocks.${i}.`;
    put(`${s}layernorm_before.weight`, [d], p.get(`${b}ln1.scale`)!.data);
    put(`${s}layernorm_before.bias`, [d], p.get(`${b}ln1.bias`)!.data);
    for (const n of ['query', 'key', 'value']) {
      put(`${s}attention.attention.${n}.weight`, [d, d], t2(p.get(`${b}attn.${n}.kernel`)!));
      put(`${s}attention.attention.${n}.bias`, [d], p.get(`${b}attn.${n}.bias`)!.data);
    }
    put(`${s}attention.output.dense.weight`, [d, d], t2(p.get(`${b}attn.out.kernel`)!));
    put(`${s}attention.output.dense.bias`, [d], p.get(`${b}attn.out.bias`)!.data);
    put(`${s}layernorm_after.weight`, [d], p.get(`${b}ln2.scale`)!.data);
    put(`${s}layernorm_after.bias`, [d], p.get(`${b}ln2.bias`)!.data);
    put(`${s}intermediate.dense.weight`, [cfg.mlpDim, d], t2(p.get(`${b}mlp.fc1.kernel`)!));
    put(`${s}intermediate.dense.bias`, [cfg.mlpDim], p.get(`${b}mlp.fc1.bias`)!.data);
    put(`${s}output.dense.weight`, [d, cfg.mlpDim], t2(p.get(`${b}mlp.fc2.kernel`)!));
    put(`${s}output.dense.bias`, [d], p.get(`${b}mlp.fc2.bias`)!.data);
  }
  put('layernorm.weight', [d], p.get('norm.scale')!.data);
  put('layernorm.bias', [d], p.get('norm.bias')!.data);
  out.set('classifier.weight', raw([3, d], new Float32Array(3 * d)));
  out.set('classifier.bias', raw([3], new Float32Array(3)));
  return out;
}

function pooled(model: FlexiViT, x: tf.Tensor4D, patchSize: number): Float32Array {
  const f = model.forward(x, { patchSize });
  const v = f.pooled!.dataSync() as Float32Array;
  f.dispose();
  return v;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

// Width 48 with 3 heads (head_dim 16): timm/HF cannot infer heads, the test passes them.
const base = defineConfig({
  width: 48,
  depth: 2,
  heads: 3,
  mlpDim: 80,
  kernelSize: [8, 8],
  posembGrid: [3, 3],
  resolution: [24, 24],
  patchSize: [8, 8],
});

describe('big_vision naming', () => {
  it('round-trips through toBigVision and infers the config from shapes', () => {
    const host = initParams(base, 1);
    const bv = toBigVision(host, base, {
      'head/kernel': { shape: [48, 7], data: new Float32Array(48 * 7) },
      'head/bias': { shape: [7], data: new Float32Array(7) },
    });
    const mapped = mapCheckpoint(bv);
    expect(mapped.layout).toBe('bigvision');
    expect(mapped.prefix).toBe('params/');
    const c = mapped.config;
    expect([c.width, c.depth, c.heads, c.mlpDim, c.pool, c.gelu, c.layerNormEps]).toEqual([
      48,
      2,
      3,
      80,
      'tok',
      'tanh',
      1e-6,
    ]);
    expect([...mapped.rest.keys()].sort()).toEqual(['head/bias', 'head/kernel']);
    for (const [k, v] of host) expect(maxAbs(mapped.params.get(k)!.data, v.data), k).toBe(0);
  });

  it('reads scanned blocks, MAPHead and gap pooling', () => {
    for (const pool of ['map', 'gap'] as const) {
      const cfg = defineConfig({ ...base, pool });
      const host = initParams(cfg, 2);
      const bv = toBigVision(host, cfg);
      // Stack encoderblock_i into one scanned `encoderblock` with a leading depth axis.
      const scanned: RawCheckpoint = new Map();
      const stacks = new Map<string, RawArray[]>();
      for (const [k, v] of bv) {
        const m = /^params\/Transformer\/encoderblock_(\d+)\/(.*)$/.exec(k);
        if (!m) scanned.set(k, v);
        else stacks.set(m[2], [...(stacks.get(m[2]) ?? []), v]);
      }
      for (const [k, vs] of stacks) {
        const data = new Float32Array(vs.length * vs[0].data.length);
        vs.forEach((v, i) => {
          data.set(v.data as Float32Array, i * v.data.length);
        });
        scanned.set(`params/Transformer/encoderblock/${k}`, raw([vs.length, ...vs[0].shape], data));
      }
      const a = mapCheckpoint(bv);
      const b = mapCheckpoint(scanned);
      expect(b.config.pool).toBe(pool);
      expect(b.config.depth).toBe(2);
      for (const [k, v] of a.params) expect(maxAbs(b.params.get(k)!.data, v.data), k).toBe(0);
    }
  });

  it('names a missing or mis-shaped entry', () => {
    const bv = toBigVision(initParams(base, 3), base);
    const missing = new Map(bv);
    missing.delete('params/Transformer/encoderblock_1/MlpBlock_0/Dense_1/bias');
    expect(() => mapCheckpoint(missing)).toThrow(/Transformer\/encoderblock_1\/MlpBlock_0\/Dense_1\/bias/);
    const bad = new Map(bv);
    bad.set('params/Transformer/encoder_norm/scale', raw([47], new Float32Array(47)));
    try {
      mapCheckpoint(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CheckpointError);
      expect((e as CheckpointError).code).toBe('CHECKPOINT_SHAPE_MISMATCH');
      expect((e as Error).message).toMatch(/encoder_norm\/scale.*\[47\].*\[48\]/);
    }
    expect(() => mapCheckpoint(new Map([['foo', raw([1], new Float32Array(1))]]))).toThrow(
      /Not a known ViT checkpoint layout/,
    );
  });
});

describe('timm and HF naming give the same model', () => {
  it('timm state dict (fused qkv, torch layouts)', () => {
    const host = initParams(base, 4);
    const ref = new FlexiViT(base, paramsFromHost(host));
    const mapped = mapCheckpoint(toTimm(host, base), { config: { heads: 3, gelu: 'tanh' } });
    expect(mapped.layout).toBe('timm');
    expect(mapped.config.posembIncludesCls).toBe(false);
    expect([...mapped.rest.keys()].sort()).toEqual(['head.bias', 'head.weight']);
    const other = new FlexiViT(mapped.config, paramsFromHost(mapped.params));
    const x = tf.randomNormal([2, 24, 24, 3]) as tf.Tensor4D;
    for (const p of [4, 8, 12]) expect(maxAbs(pooled(ref, x, p), pooled(other, x, p))).toBeLessThan(1e-5);
    // Without the override timm's defaults apply: exact GELU and width/64 heads.
    expect(mapCheckpoint(toTimm(host, base)).config.gelu).toBe('erf');
    tf.dispose(x);
    ref.dispose();
    other.dispose();
  });

  it('HF ViT (pos-emb with a cls entry)', () => {
    const cfg = defineConfig({ ...base, posembIncludesCls: true });
    const host = initParams(cfg, 5);
    const ref = new FlexiViT(cfg, paramsFromHost(host));
    const mapped = mapCheckpoint(toHf(host, cfg), { config: { heads: 3, gelu: 'tanh', layerNormEps: 1e-6 } });
    expect(mapped.layout).toBe('hf');
    expect(mapped.config.posembIncludesCls).toBe(true);
    expect(mapCheckpoint(toHf(host, cfg)).config.layerNormEps).toBe(1e-12);
    const other = new FlexiViT(mapped.config, paramsFromHost(mapped.params));
    const x = tf.randomNormal([1, 24, 24, 3]) as tf.Tensor4D;
    for (const p of [3, 8, 24]) expect(maxAbs(pooled(ref, x, p), pooled(other, x, p))).toBeLessThan(1e-5);
    tf.dispose(x);
    ref.dispose();
    other.dispose();
  });
});
