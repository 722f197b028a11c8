/** Loading a FlexiViT backbone from any supported checkpoint file or tree. */
import { type CheckpointSource, readCheckpoint } from '../checkpoint';
import type { RawCheckpoint } from '../checkpoint/types';
import { type Layout, type MapOptions, mapCheckpoint } from '../mapping';
import { defineConfig, type FlexiViTConfig, type Variant } from './config';
import { initParams, paramsFromHost } from './create';
import { FlexiViT } from './flexivit';

export interface LoadOptions extends MapOptions {
  /** A fetch implementation for URLs (default: the global one). */
  fetch?: typeof fetch;
}

export interface Backbone {
  model: FlexiViT;
  /** Checkpoint entries the encoder did not use (a head's params), relative to `prefix`. */
  rest: RawCheckpoint;
  layout: Layout;
  prefix: string;
}

function isRawCheckpoint(x: unknown): x is RawCheckpoint {
  return x instanceof Map;
}

/** For head packages: the encoder plus the checkpoint entries it left for the head. */
export async function loadBackbone(
  source: CheckpointSource | RawCheckpoint,
  options: LoadOptions = {},
): Promise<Backbone> {
  const raw = isRawCheckpoint(source) ? source : await readCheckpoint(source, { fetch: options.fetch });
  const mapped = mapCheckpoint(raw, options);
  const model = new FlexiViT(mapped.config, paramsFromHost(mapped.params));
  return { model, rest: mapped.rest, layout: mapped.layout, prefix: mapped.prefix };
}

/** Load a FlexiViT encoder from a big_vision `.npz`, timm/HF safetensors or a TF.js model.json. */
export async function load(
  source: CheckpointSource | RawCheckpoint,
  options: LoadOptions = {},
): Promise<FlexiViT> {
  return (await loadBackbone(source, options)).model;
}

/** A freshly initialised FlexiViT (for training and benchmarks). */
export function createFlexiViT(config: Partial<FlexiViTConfig> & { variant?: Variant }, seed = 0): FlexiViT {
  const cfg = defineConfig(config);
  return new FlexiViT(cfg, paramsFromHost(initParams(cfg, seed)));
}
