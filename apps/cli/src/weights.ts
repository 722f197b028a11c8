/**
 * `--weights` takes a file, or the name of a model shipped in this repository. A file may carry a
 * `meta.json` (or a training run's `run.json`) beside it with its labels and input resolution.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MODELS = new URL('../../../models/', import.meta.url);

/** Models shipped in the repository, by name. */
export const SHIPPED: Record<string, string> = {
  'fashion-flexivit': fileURLToPath(new URL('fashion-flexivit/model.npz', MODELS)),
};

export interface WeightsMeta {
  labels?: string[];
  resolution?: number;
  /** Patch size to use when none is given. */
  patchSize?: number;
  patchSizes?: number[];
}

export async function resolveWeights(value: string): Promise<{ path: string; meta: WeightsMeta }> {
  const path = SHIPPED[value] ?? value;
  for (const name of ['meta.json', 'run.json']) {
    try {
      const json = JSON.parse(await readFile(join(dirname(path), name), 'utf8'));
      if (name === 'meta.json') return { path, meta: json };
      // A training run: labels, resolution and the patch sizes it trained at.
      return {
        path,
        meta: {
          labels: json.labels,
          resolution: json.config?.resolution,
          patchSizes: json.config?.patchSizes,
          patchSize: json.config?.patchSizes?.[Math.floor(json.config.patchSizes.length / 2)],
        },
      };
    } catch {
      // no such file beside the weights
    }
  }
  return { path, meta: {} };
}
