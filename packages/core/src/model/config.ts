/** FlexiViT configuration: the plain ViT hyper-parameters plus the stored (underlying) sizes. */
import { ConfigError } from '../errors';

export type Pool = 'tok' | 'gap' | 'map' | 'none';
export type Gelu = 'tanh' | 'erf';
export type NormalizePreset = 'bigvision' | 'imagenet' | 'clip';

export interface FlexiViTConfig {
  /** Token width D. */
  width: number;
  depth: number;
  heads: number;
  mlpDim: number;
  channels: number;
  /** Size of the stored patch-embedding kernel (big_vision FlexiViT: 32×32). */
  kernelSize: [number, number];
  /** Grid of the stored position embedding (big_vision FlexiViT: 7×7). */
  posembGrid: [number, number];
  /** Pooling into `Features.pooled`: cls token, mean of tokens, MAP head, or none. */
  pool: Pool;
  /** big_vision uses the tanh approximation; timm and HF use the exact (erf) form. */
  gelu: Gelu;
  layerNormEps: number;
  /** HF / original ViT: the position embedding has an entry for the cls token too. */
  posembIncludesCls: boolean;
  /** timm `global_pool='avg'` models: LayerNorm after pooling (`fc_norm`) instead of before. */
  fcNorm: boolean;
  /** Default input resolution [h, w] and patch size for `encode`. */
  resolution: [number, number];
  patchSize: [number, number];
  /** How `encode` normalises 0..255 pixels. */
  normalize: NormalizePreset;
}

/** big_vision FlexiViT-B at 240 px: the defaults `defineConfig` fills in. */
export const FLEXIVIT_DEFAULTS: Omit<FlexiViTConfig, 'width' | 'depth' | 'heads' | 'mlpDim'> = {
  channels: 3,
  kernelSize: [32, 32],
  posembGrid: [7, 7],
  pool: 'tok',
  gelu: 'tanh',
  layerNormEps: 1e-6,
  posembIncludesCls: false,
  fcNorm: false,
  resolution: [240, 240],
  patchSize: [16, 16],
  normalize: 'bigvision',
};

/** big_vision `decode_variant` sizes. */
export const VARIANTS = {
  Ti: { width: 192, depth: 12, mlpDim: 768, heads: 3 },
  S: { width: 384, depth: 12, mlpDim: 1536, heads: 6 },
  M: { width: 512, depth: 12, mlpDim: 2048, heads: 8 },
  B: { width: 768, depth: 12, mlpDim: 3072, heads: 12 },
  L: { width: 1024, depth: 24, mlpDim: 4096, heads: 16 },
} as const;
export type Variant = keyof typeof VARIANTS;

/** Fill defaults and validate. */
export function defineConfig(
  partial: Partial<FlexiViTConfig> & { variant?: Variant } & Pick<Partial<FlexiViTConfig>, 'width'>,
): FlexiViTConfig {
  const { variant, ...rest } = partial;
  const base = variant ? VARIANTS[variant] : undefined;
  if (variant && !base) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `Unknown variant "${variant}"; use one of ${Object.keys(VARIANTS).join(', ')}.`,
    );
  }
  const cfg = { ...FLEXIVIT_DEFAULTS, ...base, ...rest } as FlexiViTConfig;
  for (const key of ['width', 'depth', 'heads', 'mlpDim', 'channels'] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] <= 0) {
      throw new ConfigError('CONFIG_INVALID', `Config "${key}" must be a positive integer, got ${cfg[key]}.`);
    }
  }
  if (cfg.width % cfg.heads !== 0) {
    throw new ConfigError('CONFIG_INVALID', `width ${cfg.width} is not divisible by heads ${cfg.heads}.`);
  }
  if (!['tok', 'gap', 'map', 'none'].includes(cfg.pool)) {
    throw new ConfigError('CONFIG_INVALID', `pool must be tok, gap, map or none, got "${cfg.pool}".`);
  }
  if (!['tanh', 'erf'].includes(cfg.gelu)) {
    throw new ConfigError('CONFIG_INVALID', `gelu must be tanh or erf, got "${cfg.gelu}".`);
  }
  if (cfg.posembIncludesCls && cfg.pool !== 'tok') {
    throw new ConfigError('CONFIG_INVALID', 'posembIncludesCls needs a cls token (pool "tok").');
  }
  return cfg;
}
