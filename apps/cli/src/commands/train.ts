import { readFile } from 'node:fs/promises';
import { resolveConfig, train as runTraining, type TrainConfig } from '@flexivit/train';
import { intFlag, UsageError } from '../args';
import type { Io } from '../io';

export const TRAIN_USAGE = `flexivit train --config NAME|FILE --out DIR [--data DIR] [--steps N] [--stop-at N] [--seed S]
  presets: fashion-flexivit, fashion-vit8, fashion-vit16, smoke; FILE: JSON with TrainConfig fields`;

export async function trainCommand(
  flags: Record<string, string | boolean | undefined>,
  io: Io,
): Promise<void> {
  const name = flags.config;
  if (typeof name !== 'string') throw new UsageError(`Missing --config.\nusage: ${TRAIN_USAGE}`);
  if (typeof flags.out !== 'string') throw new UsageError(`Missing --out DIR.\nusage: ${TRAIN_USAGE}`);
  let base: string | Partial<TrainConfig> = name;
  if (name.endsWith('.json')) {
    try {
      base = JSON.parse(await readFile(name, 'utf8'));
    } catch (err) {
      throw new UsageError(`Cannot read --config ${name}: ${(err as Error).message}`);
    }
  }
  const overrides: Partial<TrainConfig> = {};
  const steps = intFlag(flags.steps as string | undefined, 'steps');
  if (steps) overrides.steps = steps;
  if (flags.seed !== undefined) overrides.seed = Number(flags.seed);
  const config = resolveConfig(base, overrides);
  const stopAt = intFlag(flags['stop-at'] as string | undefined, 'stop-at');
  io.err(
    `training ${config.name}: ${config.steps} steps × batch ${config.batchSize} at ${config.resolution} px, patch sizes ${config.patchSizes.join(',')} → ${flags.out}`,
  );
  const { model, record } = await runTraining(config, {
    out: flags.out,
    dataDir: flags.data as string | undefined,
    stopAt,
  });
  const last = record.evals[record.evals.length - 1];
  io.out(
    JSON.stringify({
      out: flags.out,
      step: record.step,
      seconds: record.seconds,
      holdout: last?.results ?? [],
    }),
  );
  model.dispose();
}
