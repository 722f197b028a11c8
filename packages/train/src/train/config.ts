/** Training configs: a plain object, with named presets for the Fashion-MNIST study. */
import { ConfigError, type FlexiViTConfig } from '@flexivit/core';

export interface TrainConfig {
  name: string;
  /** Encoder shape; kernelSize/posembGrid are the stored (underlying) sizes. */
  model: Pick<FlexiViTConfig, 'width' | 'depth' | 'heads' | 'mlpDim' | 'kernelSize' | 'posembGrid' | 'pool'>;
  /** Training (and evaluation) resolution in pixels. */
  resolution: number;
  /** Patch sizes drawn per step (uniformly, or by `patchSizeWeights`). One size = a standard ViT. */
  patchSizes: number[];
  patchSizeWeights?: number[];
  batchSize: number;
  steps: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  labelSmoothing: number;
  seed: number;
  augment: { flip: boolean; maxShift: number };
  /** Held-out slice of the training set for evaluation during training. */
  holdout: number;
  evalEvery: number;
  evalPatchSizes: number[];
  checkpointEvery: number;
  /** Distillation from a teacher checkpoint's logits (KL at `temperature`, weighted by `weight`). */
  distill?: { teacher: string; weight: number; temperature: number };
}

const fashionModel: TrainConfig['model'] = {
  width: 64,
  depth: 4,
  heads: 4,
  mlpDim: 256,
  kernelSize: [16, 16],
  posembGrid: [6, 6],
  pool: 'tok',
};

const fashionBase: Omit<TrainConfig, 'name' | 'patchSizes' | 'model'> = {
  resolution: 48,
  batchSize: 64,
  steps: 2800,
  lr: 2e-3,
  warmupSteps: 200,
  weightDecay: 0.05,
  clipNorm: 1,
  labelSmoothing: 0.1,
  seed: 0,
  augment: { flip: true, maxShift: 2 },
  holdout: 2000,
  evalEvery: 700,
  evalPatchSizes: [4, 6, 8, 12, 16, 24],
  checkpointEvery: 350,
};

/** The presets used in docs/results (same model and budget; only the patch sizes differ). */
export const PRESETS: Record<string, TrainConfig> = {
  'fashion-flexivit': {
    ...fashionBase,
    name: 'fashion-flexivit',
    model: fashionModel,
    patchSizes: [4, 6, 8, 12, 16, 24],
  },
  'fashion-vit8': {
    ...fashionBase,
    name: 'fashion-vit8',
    model: { ...fashionModel, kernelSize: [8, 8] },
    patchSizes: [8],
  },
  'fashion-vit16': {
    ...fashionBase,
    name: 'fashion-vit16',
    model: { ...fashionModel, kernelSize: [16, 16], posembGrid: [3, 3] },
    patchSizes: [16],
  },
  /** A quick run for tests and first checks. */
  smoke: {
    ...fashionBase,
    name: 'smoke',
    model: { width: 32, depth: 2, heads: 2, mlpDim: 64, kernelSize: [8, 8], posembGrid: [4, 4], pool: 'tok' },
    resolution: 24,
    patchSizes: [4, 6, 8, 12],
    batchSize: 32,
    steps: 150,
    lr: 3e-3,
    warmupSteps: 20,
    holdout: 500,
    evalEvery: 150,
    evalPatchSizes: [4, 6, 8, 12],
    checkpointEvery: 150,
  },
};

export function resolveConfig(
  nameOrConfig: string | Partial<TrainConfig>,
  overrides: Partial<TrainConfig> = {},
): TrainConfig {
  const base = typeof nameOrConfig === 'string' ? PRESETS[nameOrConfig] : undefined;
  if (typeof nameOrConfig === 'string' && !base) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `Unknown training config "${nameOrConfig}"; presets: ${Object.keys(PRESETS).join(', ')}.`,
    );
  }
  const cfg = {
    ...(base ?? PRESETS['fashion-flexivit']),
    ...(typeof nameOrConfig === 'string' ? {} : nameOrConfig),
    ...overrides,
  } as TrainConfig;
  for (const p of [...cfg.patchSizes, ...cfg.evalPatchSizes]) {
    if (!Number.isInteger(p) || p <= 0 || cfg.resolution % p !== 0) {
      throw new ConfigError(
        'PATCH_SIZE_INVALID',
        `Patch size ${p} does not divide the resolution ${cfg.resolution}.`,
      );
    }
  }
  if (cfg.patchSizeWeights && cfg.patchSizeWeights.length !== cfg.patchSizes.length) {
    throw new ConfigError('CONFIG_INVALID', 'patchSizeWeights must have one weight per patch size.');
  }
  for (const k of ['batchSize', 'steps'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] <= 0)
      throw new ConfigError('CONFIG_INVALID', `${k} must be a positive integer.`);
  }
  return cfg;
}
