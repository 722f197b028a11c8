/** Checkpoint naming → our param tree, with the layout detected from the names present. */
import type { RawCheckpoint } from '../checkpoint/types';
import { CheckpointError } from '../errors';
import type { FlexiViTConfig } from '../model/config';
import { findBigVisionPrefix, mapBigVision } from './bigvision';
import type { Layout, MappedCheckpoint } from './common';
import { findHfPrefix, mapHf } from './hf';
import { findTimmPrefix, mapTimm } from './timm';

export { BIGVISION_PREFIXES, toBigVision } from './bigvision';
export { type HostArray, type Layout, type MappedCheckpoint, takeArray } from './common';
export { linearKernel } from './timm';

export function detectLayout(raw: RawCheckpoint): Layout | null {
  if (findBigVisionPrefix(raw) !== null) return 'bigvision';
  if (findTimmPrefix(raw) !== null) return 'timm';
  if (findHfPrefix(raw) !== null) return 'hf';
  return null;
}

export interface MapOptions {
  /** Force a layout instead of detecting it. */
  layout?: Layout;
  /** Config fields to set instead of inferring them (e.g. `heads` for timm/HF, `resolution`). */
  config?: Partial<FlexiViTConfig>;
}

/** Map a raw checkpoint to encoder params + config; what the encoder does not use is `rest`. */
export function mapCheckpoint(raw: RawCheckpoint, options: MapOptions = {}): MappedCheckpoint {
  const layout = options.layout ?? detectLayout(raw);
  const cfg = options.config ?? {};
  switch (layout) {
    case 'bigvision':
      return mapBigVision(raw, cfg);
    case 'timm':
      return mapTimm(raw, cfg);
    case 'hf':
      return mapHf(raw, cfg);
    default: {
      const sample = [...raw.keys()].slice(0, 5).join('", "');
      throw new CheckpointError(
        'CHECKPOINT_UNKNOWN_FORMAT',
        `Not a known ViT checkpoint layout (big_vision "…embedding/kernel", timm "patch_embed.proj.weight", HF "embeddings.patch_embeddings.projection.weight"). First names: "${sample}".`,
      );
    }
  }
}
