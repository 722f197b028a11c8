/**
 * The encoder's parameter tree. Names follow big_vision's modules so the mapping to checkpoints
 * stays obvious; kernels are stored [in, out] as TF.js matMul wants them.
 */
import type * as tf from '@tensorflow/tfjs-core';

export interface Dense {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

export interface LayerNorm {
  scale: tf.Tensor1D;
  bias: tf.Tensor1D;
}

/** Multi-head attention with per-projection [D, D] kernels (columns ordered head-major). */
export interface Attention {
  query: Dense;
  key: Dense;
  value: Dense;
  out: Dense;
}

export interface Mlp {
  fc1: Dense;
  fc2: Dense;
}

export interface EncoderBlock {
  ln1: LayerNorm;
  attn: Attention;
  ln2: LayerNorm;
  mlp: Mlp;
}

/** big_vision MAPHead: a learned probe attends over the tokens. */
export interface MapHead {
  probe: tf.Tensor2D; // [1, D]
  attn: Attention;
  ln: LayerNorm;
  mlp: Mlp;
}

export interface EncoderParams {
  /** Stored patch embedding: HWIO kernel [kh, kw, C, D] at `config.kernelSize`, bias [D]. */
  patch: { kernel: tf.Tensor4D; bias: tf.Tensor1D };
  /** Stored position embedding [(1 +) gh·gw, D] at `config.posembGrid`. */
  posemb: tf.Tensor2D;
  /** Class token [1, D] (pool "tok"). */
  cls?: tf.Tensor2D;
  blocks: EncoderBlock[];
  /** Final encoder LayerNorm (`encoder_norm`), or after pooling when `config.fcNorm`. */
  norm: LayerNorm;
  map?: MapHead;
}

/** Every tensor in a param tree, depth-first (for disposal, counting and optimisers). */
export function paramList(tree: unknown): tf.Tensor[] {
  return [...flattenParams(tree).values()];
}

export function countParams(tree: unknown): number {
  return paramList(tree).reduce((n, t) => n + t.size, 0);
}

/** A param's path in the tree, e.g. `blocks.3.attn.query.kernel`: the canonical flat name. */
export type ParamPath = string;

/** Flatten a param tree to canonical path → tensor. */
export function flattenParams(tree: unknown, prefix = ''): Map<ParamPath, tf.Tensor> {
  const out = new Map<ParamPath, tf.Tensor>();
  const walk = (node: unknown, path: string) => {
    if (node == null || typeof node !== 'object') return;
    if ('dataId' in node && 'shape' in node) {
      out.set(path, node as tf.Tensor);
      return;
    }
    const entries = Array.isArray(node) ? node.map((v, i) => [String(i), v] as const) : Object.entries(node);
    for (const [k, v] of entries) walk(v, path ? `${path}.${k}` : k);
  };
  walk(tree, prefix);
  return out;
}

/** Build a tree from canonical paths (numeric segments become array indices). */
export function unflattenParams<T>(flat: Map<ParamPath, tf.Tensor>): T {
  const root: Record<string, unknown> = {};
  for (const [path, t] of flat) {
    const parts = path.split('.');
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts[i];
      const nextIsIndex = /^\d+$/.test(parts[i + 1]);
      const container = node as Record<string, unknown>;
      if (container[key] === undefined) container[key] = nextIsIndex ? [] : {};
      node = container[key] as Record<string, unknown>;
    }
    (node as Record<string, unknown>)[parts[parts.length - 1]] = t;
  }
  return root as T;
}
