/** Making a param tree: from host arrays (checkpoints) or freshly initialised (training, benchmarks). */
import * as tf from '@tensorflow/tfjs-core';
import type { HostArray } from '../mapping/common';
import type { FlexiViTConfig } from './config';
import { type EncoderParams, flattenParams, type ParamPath, unflattenParams } from './params';

/** Upload host arrays (canonical paths) as tensors and assemble the tree. */
export function paramsFromHost(host: Map<ParamPath, HostArray>): EncoderParams {
  const flat = new Map<ParamPath, tf.Tensor>();
  for (const [path, a] of host) flat.set(path, tf.tensor(a.data, a.shape, 'float32'));
  return unflattenParams<EncoderParams>(flat);
}

/** Read a param tree back to host arrays (for saving checkpoints). */
export async function paramsToHost(params: unknown): Promise<Map<ParamPath, HostArray>> {
  const out = new Map<ParamPath, HostArray>();
  for (const [path, t] of flattenParams(params))
    out.set(path, { shape: t.shape.slice(), data: (await t.data()) as Float32Array });
  return out;
}

/** Mulberry32: a small seeded PRNG so initialisation is reproducible across backends. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Initialise params as big_vision does: patch kernel and pos-emb normal(0, 1/sqrt(D)), Dense kernels
 * Xavier-uniform, biases zero, LayerNorm scale one, cls zeros, MAP probe Xavier-uniform.
 */
export function initParams(config: FlexiViTConfig, seed = 0): Map<ParamPath, HostArray> {
  const rand = seededRandom(seed);
  const normal = (n: number, std: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u = Math.max(rand(), 1e-12);
      const v = rand();
      const r = Math.sqrt(-2 * Math.log(u)) * std;
      out[i] = r * Math.cos(2 * Math.PI * v);
      if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
    return out;
  };
  const xavier = (fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const out = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < out.length; i++) out[i] = (rand() * 2 - 1) * limit;
    return out;
  };
  const d = config.width;
  const m = config.mlpDim;
  const host = new Map<ParamPath, HostArray>();
  const set = (path: string, shape: number[], data?: Float32Array, fill = 0) =>
    host.set(path, { shape, data: data ?? new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) });
  const [kh, kw] = config.kernelSize;
  set('patch.kernel', [kh, kw, config.channels, d], normal(kh * kw * config.channels * d, 1 / Math.sqrt(d)));
  set('patch.bias', [d]);
  const n = config.posembGrid[0] * config.posembGrid[1] + (config.posembIncludesCls ? 1 : 0);
  set('posemb', [n, d], normal(n * d, 1 / Math.sqrt(d)));
  if (config.pool === 'tok') set('cls', [1, d]);
  const attn = (p: string) => {
    for (const k of ['query', 'key', 'value', 'out']) {
      set(`${p}${k}.kernel`, [d, d], xavier(d, d));
      set(`${p}${k}.bias`, [d]);
    }
  };
  const mlp = (p: string) => {
    set(`${p}fc1.kernel`, [d, m], xavier(d, m));
    set(`${p}fc1.bias`, [m]);
    set(`${p}fc2.kernel`, [m, d], xavier(m, d));
    set(`${p}fc2.bias`, [d]);
  };
  for (let i = 0; i < config.depth; i++) {
    const b = `blocks.${i}.`;
    set(`${b}ln1.scale`, [d], undefined, 1);
    set(`${b}ln1.bias`, [d]);
    attn(`${b}attn.`);
    set(`${b}ln2.scale`, [d], undefined, 1);
    set(`${b}ln2.bias`, [d]);
    mlp(`${b}mlp.`);
  }
  set('norm.scale', [d], undefined, 1);
  set('norm.bias', [d]);
  if (config.pool === 'map') {
    set('map.probe', [1, d], xavier(1, d));
    attn('map.attn.');
    set('map.ln.scale', [d], undefined, 1);
    set('map.ln.bias', [d]);
    mlp('map.mlp.');
  }
  return host;
}
