/** Analytic cost of one forward pass, for benchmarks and budgets (FLOPs = 2 × multiply-adds). */
import { type Size2, toSize2 } from '../resize/patch-embedding';
import type { FlexiViTConfig } from './config';

export function encoderFlops(
  config: FlexiViTConfig,
  patchSize: number | Size2,
  resolution?: number | Size2,
): number {
  const [ph, pw] = toSize2(patchSize);
  const [h, w] = toSize2(resolution ?? config.resolution, 'resolution');
  const n = (h / ph) * (w / pw);
  const t = n + (config.pool === 'tok' ? 1 : 0);
  const d = config.width;
  const m = config.mlpDim;
  let macs = n * ph * pw * config.channels * d; // patch embedding
  macs += config.depth * (4 * t * d * d + 2 * t * d * m + 2 * t * t * d); // qkv+out, MLP, scores+mixing
  if (config.pool === 'map') macs += 2 * t * d * d + 2 * d * d + 2 * t * d + 2 * d * m;
  return 2 * macs;
}
