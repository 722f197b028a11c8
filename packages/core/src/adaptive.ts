/**
 * Compute-adaptive inference: FlexiViT's point is that one model serves every budget, so measure
 * this device once per (backend, model shape, resolution) and pick the smallest patch size — the
 * most tokens, the best accuracy — whose latency fits the budget.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from './errors';
import type { FlexiViT } from './model/flexivit';
import { validPatchSizes } from './model/flexivit';
import { type Size2, toSize2 } from './resize/patch-embedding';

export interface LatencyProfile {
  /** `backend|width|depth|heads|mlp|resolution|batch`: what the timings depend on. */
  key: string;
  /** Median latency (ms) of one forward pass per patch size, measured on this device. */
  latencyMs: Record<number, number>;
  measuredAt: string;
}

/** Where profiles persist (e.g. a JSON file in Node, localStorage in browsers). */
export interface ProfileStore {
  get(key: string): LatencyProfile | undefined | Promise<LatencyProfile | undefined>;
  set(key: string, profile: LatencyProfile): void | Promise<void>;
}

const memoryStore = new Map<string, LatencyProfile>();
const defaultStore: ProfileStore = {
  get: (k) => memoryStore.get(k),
  set: (k, p) => {
    memoryStore.set(k, p);
  },
};

export interface OperatingPointOptions {
  /** The latency budget for one forward pass (ms). */
  latencyMs: number;
  resolution?: number | Size2;
  /** Candidate square patch sizes (default: every size 8…48 that tiles the resolution). */
  patchSizes?: number[];
  batch?: number;
  /** Timed runs per patch size after one warm-up (default 3; the median is kept). */
  runs?: number;
  store?: ProfileStore;
}

export interface OperatingPoint {
  /** The smallest patch size within budget, or the fastest one if none fits. */
  patchSize: number;
  /** Its measured latency (ms). */
  latencyMs: number;
  withinBudget: boolean;
  profile: LatencyProfile;
}

function profileKey(model: FlexiViT, resolution: Size2, batch: number): string {
  const c = model.config;
  return [tf.getBackend(), c.width, c.depth, c.heads, c.mlpDim, c.pool, resolution.join('x'), batch].join(
    '|',
  );
}

/** Time the forward pass at each patch size (median of `runs`, after one warm-up that fills caches). */
export async function measureLatency(
  model: FlexiViT,
  options: { resolution?: number | Size2; patchSizes?: number[]; batch?: number; runs?: number } = {},
): Promise<Record<number, number>> {
  const resolution = toSize2(options.resolution ?? model.config.resolution, 'resolution');
  const sizes = options.patchSizes ?? validPatchSizes(resolution, 8, 48);
  const runs = options.runs ?? 3;
  const x = tf.zeros([
    options.batch ?? 1,
    resolution[0],
    resolution[1],
    model.config.channels,
  ]) as tf.Tensor4D;
  const out: Record<number, number> = {};
  try {
    for (const p of sizes) {
      const times: number[] = [];
      for (let r = 0; r <= runs; r++) {
        const t0 = performance.now();
        const f = model.forward(x, { patchSize: p });
        await (f.pooled ?? f.tokens).data();
        f.dispose();
        if (r > 0) times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      out[p] = times[Math.floor(times.length / 2)];
    }
  } finally {
    x.dispose();
  }
  return out;
}

/**
 * Pick the patch size for a latency budget: measured once per device and model shape (cached in
 * `store`, in memory by default), then a lookup.
 */
export async function chooseOperatingPoint(
  model: FlexiViT,
  options: OperatingPointOptions,
): Promise<OperatingPoint> {
  if (!(options.latencyMs > 0)) {
    throw new ConfigError(
      'ARGUMENT_INVALID',
      `latencyMs must be a positive number, got ${options.latencyMs}.`,
    );
  }
  const resolution = toSize2(options.resolution ?? model.config.resolution, 'resolution');
  const batch = options.batch ?? 1;
  const store = options.store ?? defaultStore;
  const sizes = options.patchSizes ?? validPatchSizes(resolution, 8, 48);
  if (sizes.length === 0) {
    throw new ConfigError(
      'PATCH_SIZE_INVALID',
      `No patch size between 8 and 48 tiles ${resolution.join('x')}.`,
    );
  }
  const key = profileKey(model, resolution, batch);
  let profile = await store.get(key);
  const missing = sizes.filter((p) => profile?.latencyMs[p] === undefined);
  if (!profile || missing.length > 0) {
    const measured = await measureLatency(model, {
      resolution,
      patchSizes: missing,
      batch,
      runs: options.runs,
    });
    profile = {
      key,
      latencyMs: { ...profile?.latencyMs, ...measured },
      measuredAt: new Date().toISOString(),
    };
    await store.set(key, profile);
  }
  const timed = sizes.map((p) => ({ p, ms: profile!.latencyMs[p] })).sort((a, b) => a.p - b.p);
  const fit = timed.find((t) => t.ms <= options.latencyMs);
  const pick = fit ?? timed.reduce((a, b) => (b.ms < a.ms ? b : a));
  return { patchSize: pick.p, latencyMs: pick.ms, withinBudget: fit !== undefined, profile };
}
