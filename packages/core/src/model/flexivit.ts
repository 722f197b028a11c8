/**
 * FlexiViT: a plain ViT whose patch embedding and position embedding are resized on the fly, so
 * one set of weights runs at any patch size (Beyer et al. 2023). This file is the whole idea:
 * resize (PI-resize for the kernel, bilinear/antialiased for the pos-emb), patchify, encode.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, FlexiViTError } from '../errors';
import { type ImageInput, loadImages, type ResizeMode } from '../image';
import { matMul2d } from '../ops';
import {
  type PatchEmbeddingResize,
  resizePatchEmbedding,
  type Size2,
  toSize2,
} from '../resize/patch-embedding';
import { resizePositionEmbedding } from '../resize/position-embedding';
import type { FlexiViTConfig } from './config';
import type { Features } from './features';
import { encoderBlock, layerNorm, mapPool } from './layers';
import { type EncoderParams, paramList } from './params';

export interface ForwardOptions {
  /** Patch size (square or [h, w]); must divide the input. Defaults to `config.patchSize`. */
  patchSize?: number | Size2;
  /** How the stored kernel is resized (default `pi`). */
  patchEmbeddingResize?: PatchEmbeddingResize;
  /**
   * Training: resize inside the gradient every call instead of using the per-size cache, so the
   * stored kernel and position embedding receive gradients.
   */
  training?: boolean;
}

export interface EncodeOptions extends ForwardOptions {
  /** Input resolution (default `config.resolution`). */
  resolution?: number | Size2;
  /** How images are brought to the resolution (default `squash`). */
  resize?: ResizeMode;
}

/** Patch sizes that tile `resolution` exactly (for error messages and UIs). */
export function validPatchSizes(resolution: Size2, min = 1, max = 64): number[] {
  const out: number[] = [];
  for (let p = min; p <= Math.min(max, resolution[0], resolution[1]); p++) {
    if (resolution[0] % p === 0 && resolution[1] % p === 0) out.push(p);
  }
  return out;
}

function tokenGrid(resolution: Size2, patch: Size2): Size2 {
  if (resolution[0] % patch[0] !== 0 || resolution[1] % patch[1] !== 0) {
    throw new ConfigError(
      'PATCH_SIZE_INVALID',
      `Patch size ${patch[0]}x${patch[1]} does not divide the input ${resolution[0]}x${resolution[1]}. ` +
        `Square patch sizes that do: ${validPatchSizes(resolution).join(', ')}.`,
    );
  }
  return [resolution[0] / patch[0], resolution[1] / patch[1]];
}

/**
 * Cut [B, H, W, C] into non-overlapping patches and embed them: one reshape, one transpose and a
 * plain 2-D matMul with the HWIO kernel flattened to [ph·pw·C, D] (same result as a stride-p
 * conv, but differentiable on every backend and on the fast matMul path). → [B, gh·gw, D]
 */
export function patchify(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor3D {
  const [b, h, w, c] = x.shape;
  const [ph, pw, , d] = kernel.shape;
  const gh = h / ph;
  const gw = w / pw;
  const patches = tf.reshape(tf.transpose(tf.reshape(x, [b, gh, ph, gw, pw, c]), [0, 1, 3, 2, 4, 5]), [
    b * gh * gw,
    ph * pw * c,
  ]) as tf.Tensor2D;
  const tokens = tf.add(matMul2d(patches, tf.reshape(kernel, [ph * pw * c, d])), bias);
  return tf.reshape(tokens, [b, gh * gw, d]);
}

/**
 * The encoder as a pure function of params: patch tokens (+ pos-emb) → [cls] → blocks → norm →
 * pool. `kernel` and `posemb` are the already-resized patch kernel and grid position embedding.
 */
export function encodeTokens(
  params: EncoderParams,
  config: FlexiViTConfig,
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  posemb: tf.Tensor2D,
): { tokens: tf.Tensor3D; prefix: tf.Tensor3D; pooled: tf.Tensor2D | null } {
  const b = x.shape[0];
  const d = config.width;
  let h = patchify(x, kernel, params.patch.bias);
  const nPatch = h.shape[1];
  const prefixCount = params.cls ? 1 : 0;
  if (config.posembIncludesCls) {
    // HF / original ViT: the first pos-emb row belongs to the cls token.
    const [clsPos, gridPos] = tf.split(posemb, [1, nPatch], 0);
    h = tf.add(h, gridPos);
    const cls = tf.tile(tf.reshape(tf.add(params.cls!, clsPos), [1, 1, d]), [b, 1, 1]) as tf.Tensor3D;
    h = tf.concat([cls, h], 1);
  } else {
    h = tf.add(h, posemb);
    // big_vision / timm no_embed_class: the cls token gets no position embedding.
    if (params.cls)
      h = tf.concat([tf.tile(tf.reshape(params.cls, [1, 1, d]), [b, 1, 1]) as tf.Tensor3D, h], 1);
  }
  for (const block of params.blocks) {
    // One scope per block: at inference its intermediates (attention scores above all) are freed
    // before the next block, so peak memory is one block's, not the whole network's.
    const input = h;
    h = tf.tidy(() => encoderBlock(input, block, config.heads, config.layerNormEps, config.gelu));
  }
  const eps = config.layerNormEps;
  if (!config.fcNorm) h = layerNorm(h, params.norm, eps);
  const [prefix, tokens] = tf.split(h, [prefixCount, nPatch], 1) as [tf.Tensor3D, tf.Tensor3D];
  let pooled: tf.Tensor2D | null = null;
  if (config.pool === 'tok') pooled = tf.reshape(prefix, [b, d]) as tf.Tensor2D;
  else if (config.pool === 'gap') pooled = tf.mean(tokens, 1) as tf.Tensor2D;
  else if (config.pool === 'map') pooled = mapPool(tokens, params.map!, config.heads, eps, config.gelu);
  if (config.fcNorm && pooled) pooled = layerNorm(pooled, params.norm, eps);
  return { tokens, prefix, pooled };
}

export class FlexiViT {
  readonly config: FlexiViTConfig;
  readonly params: EncoderParams;
  private readonly kernels = new Map<string, tf.Tensor4D>();
  private readonly posembs = new Map<string, tf.Tensor2D>();
  private disposed = false;

  constructor(config: FlexiViTConfig, params: EncoderParams) {
    this.config = config;
    this.params = params;
  }

  /** The patch-embedding kernel at `patchSize`, PI-resized from the stored one (cached). */
  patchKernel(patchSize: number | Size2, method: PatchEmbeddingResize = 'pi', cache = true): tf.Tensor4D {
    this.assertLive();
    const p = toSize2(patchSize);
    const key = `${method}:${p[0]}x${p[1]}`;
    const hit = this.kernels.get(key);
    if (hit && cache) return hit;
    const k = resizePatchEmbedding(this.params.patch.kernel, p, method);
    if (!cache) return k;
    this.kernels.set(key, tf.keep(k));
    return k;
  }

  /** The position embedding resized to `grid` [(1 +) gh·gw, D] (cached). */
  positionEmbedding(grid: Size2, cache = true): tf.Tensor2D {
    this.assertLive();
    const key = `${grid[0]}x${grid[1]}`;
    const hit = this.posembs.get(key);
    if (hit && cache) return hit;
    const pe = tf.tidy(() => {
      const { posemb } = this.params;
      const stored = this.config.posembGrid;
      if (!this.config.posembIncludesCls) return resizePositionEmbedding(posemb, stored, grid);
      const [clsPos, gridPos] = tf.split(posemb, [1, posemb.shape[0] - 1], 0) as tf.Tensor2D[];
      return tf.concat([clsPos, resizePositionEmbedding(gridPos, stored, grid)], 0);
    });
    if (!cache) return pe;
    this.posembs.set(key, tf.keep(pe));
    return pe;
  }

  /**
   * Run the encoder on preprocessed images [B, H, W, C] (already normalised). Synchronous and
   * tidy-friendly: usable inside `tf.tidy` and `tf.variableGrads`.
   */
  forward(x: tf.Tensor4D, options: ForwardOptions = {}): Features {
    this.assertLive();
    if (x.rank !== 4 || x.shape[3] !== this.config.channels) {
      throw new ConfigError(
        'ARGUMENT_INVALID',
        `forward() expects images [batch, height, width, ${this.config.channels}], got [${x.shape.join(', ')}].`,
      );
    }
    const patch = toSize2(options.patchSize ?? this.config.patchSize);
    const resolution: Size2 = [x.shape[1], x.shape[2]];
    const grid = tokenGrid(resolution, patch);
    const cache = !options.training;
    const method = options.patchEmbeddingResize ?? 'pi';
    type Out = ReturnType<typeof encodeTokens>;
    const out = tf.tidy(() => {
      const kernel = this.patchKernel(patch, method, cache);
      const posemb = this.positionEmbedding(grid, cache);
      return encodeTokens(this.params, this.config, x, kernel, posemb) as unknown as tf.TensorContainer;
    }) as unknown as Out;
    return makeFeatures(out, grid, patch, resolution);
  }

  /**
   * Decode, resize and normalise images (paths, URLs, bytes, DOM images, pixel tensors 0..255),
   * then encode them. The caller disposes the returned features.
   */
  async encode(images: ImageInput | ImageInput[], options: EncodeOptions = {}): Promise<Features> {
    this.assertLive();
    const resolution = toSize2(options.resolution ?? this.config.resolution, 'resolution');
    tokenGrid(resolution, toSize2(options.patchSize ?? this.config.patchSize)); // fail before decoding
    const x = await loadImages(images, {
      resolution,
      resize: options.resize ?? 'squash',
      normalize: this.config.normalize,
    });
    try {
      return this.forward(x, options);
    } finally {
      x.dispose();
    }
  }

  /** Drop the cached resized kernels and position embeddings. */
  clearCache(): void {
    for (const t of this.kernels.values()) t.dispose();
    for (const t of this.posembs.values()) t.dispose();
    this.kernels.clear();
    this.posembs.clear();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Free every tensor the model owns (params and caches). */
  dispose(): void {
    if (this.disposed) return;
    this.clearCache();
    for (const t of paramList(this.params)) t.dispose();
    this.disposed = true;
  }

  private assertLive(): void {
    if (this.disposed) throw new FlexiViTError('DISPOSED', 'This FlexiViT model has been disposed.');
  }
}

function makeFeatures(
  t: { tokens: tf.Tensor3D; prefix: tf.Tensor3D; pooled: tf.Tensor2D | null },
  grid: Size2,
  patchSize: Size2,
  resolution: Size2,
): Features {
  return {
    ...t,
    grid,
    patchSize,
    resolution,
    dispose() {
      t.tokens.dispose();
      t.prefix.dispose();
      t.pooled?.dispose();
    },
  };
}
