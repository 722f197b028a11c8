import { load } from '@flexivit/classifier';
import { evaluate, loadFashionMnistDataset } from '@flexivit/train';
import * as tf from '@tensorflow/tfjs-core';
import { intFlag, listFlag, UsageError } from '../args';
import type { Io } from '../io';
import { resolveWeights } from '../weights';

export const EVAL_USAGE = `flexivit eval --weights FILE|fashion-flexivit [--data DIR] [--patch-sizes 4,6,8,12,16,24]
               [--resolution R] [--resize pi|bilinear] [--limit N] [--json]`;

/** Accuracy on the Fashion-MNIST test split (10,000 images) at each patch size. */
export async function evalCommand(
  flags: Record<string, string | boolean | undefined>,
  io: Io,
): Promise<void> {
  if (typeof flags.weights !== 'string') throw new UsageError(`Missing --weights.\nusage: ${EVAL_USAGE}`);
  const weights = await resolveWeights(flags.weights);
  const resolution =
    intFlag(flags.resolution as string | undefined, 'resolution') ?? weights.meta.resolution ?? 48;
  const sizes = listFlag(flags['patch-sizes'] as string | undefined, 'patch-sizes') ??
    weights.meta.patchSizes ?? [4, 6, 8, 12, 16, 24];
  const resize = (flags.resize as string | undefined) ?? 'pi';
  if (resize !== 'pi' && resize !== 'bilinear')
    throw new UsageError(`--resize must be pi or bilinear, got "${resize}".`);
  const limit = intFlag(flags.limit as string | undefined, 'limit');
  const test = await loadFashionMnistDataset(flags.data as string | undefined, 'test');
  const model = await load(weights.path, {
    labels: weights.meta.labels ?? test.labels,
    config: { resolution: [resolution, resolution] },
  });
  try {
    const results = await evaluate(
      (x, p) =>
        tf.tidy(() => {
          const f = model.backbone.forward(x, { patchSize: p, patchEmbeddingResize: resize });
          const logits = model.head.logits(f);
          f.dispose();
          return logits;
        }),
      test,
      { patchSizes: sizes, resolution, limit },
    );
    if (flags.json) io.out(JSON.stringify({ weights: weights.path, resolution, resize, results }));
    else {
      io.out(
        `${weights.path} on Fashion-MNIST test (${results[0]?.count ?? 0} images) at ${resolution} px, ${resize} resize`,
      );
      io.out('patch  accuracy  img/s');
      for (const r of results)
        io.out(
          `${String(r.patchSize).padStart(5)}  ${(100 * r.accuracy).toFixed(2).padStart(7)}%  ${r.imgPerSec.toFixed(0).padStart(5)}`,
        );
    }
  } finally {
    model.dispose();
  }
}
