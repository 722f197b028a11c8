import type * as tf from '@tensorflow/tfjs-core';

/**
 * What the backbone hands to every head. Heads depend on this, never on encoder internals, and
 * work at any `grid`. The caller owns the tensors: call `dispose()` when done.
 */
export interface Features {
  /** Patch tokens after the encoder norm, [B, gh·gw, D], row-major over the grid. */
  tokens: tf.Tensor3D;
  /** Prefix tokens (the cls token), [B, P, D]; P = 0 without one. */
  prefix: tf.Tensor3D;
  /** Pooled representation [B, D] per `config.pool`, or null for pool "none". */
  pooled: tf.Tensor2D | null;
  /** Token grid [gh, gw]. */
  grid: [number, number];
  patchSize: [number, number];
  /** Input resolution [H, W]. */
  resolution: [number, number];
  dispose(): void;
}
