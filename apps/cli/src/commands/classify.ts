import { readFile } from 'node:fs/promises';
import { load } from '@flexivit/classifier';
import { chooseOperatingPoint, type Size2 } from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import { intFlag, sizeFlag, UsageError } from '../args';
import type { Io } from '../io';
import { fileProfileStore } from '../profile-store';
import { resolveWeights } from '../weights';

export const CLASSIFY_USAGE = `flexivit classify IMAGE --weights FILE --patch-size P [--resolution R] [--top-k K]
                  [--budget-ms MS] [--labels FILE|imagenet1k] [--resize squash|crop] [--json] [--logits]
  --budget-ms picks the smallest patch size whose measured latency on this device fits (measured once, cached)`;

async function readLabels(value: string | undefined): Promise<string[] | string | undefined> {
  if (value === undefined || !/[./\\]/.test(value)) return value;
  const text = await readFile(value, 'utf8').catch((err) => {
    throw new UsageError(`Cannot read --labels file "${value}": ${(err as Error).message}`);
  });
  // A JSON array or one label per line.
  if (text.trimStart().startsWith('[')) return JSON.parse(text) as string[];
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export async function classify(
  positionals: string[],
  flags: Record<string, string | boolean | undefined>,
  io: Io,
): Promise<void> {
  const image = positionals[0];
  if (!image) throw new UsageError(`Missing IMAGE.\nusage: ${CLASSIFY_USAGE}`);
  if (typeof flags.weights !== 'string')
    throw new UsageError(`Missing --weights FILE.\nusage: ${CLASSIFY_USAGE}`);
  const patchSize = sizeFlag(flags['patch-size'] as string | undefined, 'patch-size');
  const resolutionFlag = sizeFlag(flags.resolution as string | undefined, 'resolution');
  const topK = intFlag(flags['top-k'] as string | undefined, 'top-k', 5)!;
  const resize = (flags.resize as string | undefined) ?? 'squash';
  if (resize !== 'squash' && resize !== 'crop')
    throw new UsageError(`--resize must be squash or crop, got "${resize}".`);
  const weights = await resolveWeights(flags.weights);
  const labels = (await readLabels(flags.labels as string | undefined)) ?? weights.meta.labels;
  const budget = flags['budget-ms'] === undefined ? undefined : Number(flags['budget-ms']);
  if (budget !== undefined && !(budget > 0))
    throw new UsageError(`--budget-ms must be a positive number, got "${flags['budget-ms']}".`);
  if (budget !== undefined && patchSize !== undefined)
    throw new UsageError('Give --patch-size or --budget-ms, not both.');

  const metaResolution = weights.meta.resolution;
  const model = await load(weights.path, {
    labels,
    config: metaResolution
      ? {
          resolution: [metaResolution, metaResolution],
          patchSize: [weights.meta.patchSize ?? 8, weights.meta.patchSize ?? 8],
        }
      : undefined,
  });
  try {
    let chosen: number | Size2 = patchSize ?? model.backbone.config.patchSize;
    let budgetInfo: { budgetMs: number; measuredMs: number; withinBudget: boolean } | undefined;
    if (budget !== undefined) {
      const point = await chooseOperatingPoint(model.backbone, {
        latencyMs: budget,
        resolution: resolutionFlag,
        store: fileProfileStore(),
      });
      chosen = point.patchSize;
      budgetInfo = { budgetMs: budget, measuredMs: point.latencyMs, withinBudget: point.withinBudget };
    }
    const options = { patchSize: chosen, resolution: resolutionFlag, resize } as const;
    const start = performance.now();
    const logits = await model.logits(image, options);
    const logitValues = (await logits.array())[0];
    const latencyMs = performance.now() - start;
    const scores = model.scores(logits);
    logits.dispose();
    const { values, indices } = tf.topk(scores, Math.min(topK, model.labels.length));
    const [v, i] = [(await values.array())[0], (await indices.array())[0]];
    tf.dispose([scores, values, indices]);
    const top = v.map((score, j) => ({ label: model.labels[i[j]], score }));
    const cfg = model.backbone.config;
    const resolution: Size2 =
      resolutionFlag === undefined
        ? cfg.resolution
        : typeof resolutionFlag === 'number'
          ? [resolutionFlag, resolutionFlag]
          : resolutionFlag;
    const patch: Size2 =
      typeof options.patchSize === 'number' ? [options.patchSize, options.patchSize] : options.patchSize;
    const square = (s: Size2) => (s[0] === s[1] ? s[0] : s);
    if (flags.json) {
      const out: Record<string, unknown> = {
        patchSize: square(patch),
        resolution: square(resolution),
        top,
        ...budgetInfo,
      };
      if (flags.logits) out.logits = logitValues;
      io.out(JSON.stringify(out));
      return;
    }
    if (budgetInfo) {
      io.out(
        `budget ${budget} ms → patch ${patch[0]} (measured ${budgetInfo.measuredMs.toFixed(1)} ms${budgetInfo.withinBudget ? '' : '; nothing fits, so the fastest'})`,
      );
    }
    io.out(
      `${image} at ${resolution.join('x')} px, patch ${patch.join('x')} (${(resolution[0] / patch[0]) * (resolution[1] / patch[1])} tokens), ${latencyMs.toFixed(1)} ms`,
    );
    for (const { label, score } of top) io.out(`  ${score.toFixed(4)}  ${label}`);
    if (flags.logits) io.out(`logits: ${JSON.stringify(logitValues)}`);
  } finally {
    model.dispose();
  }
}
