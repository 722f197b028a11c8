import { countParams, loadBackbone } from '@flexivit/core';
import { UsageError } from '../args';
import type { Io } from '../io';

export const INFO_USAGE = 'flexivit info --weights FILE [--json]';

/** What a checkpoint holds: layout, inferred config, parameter count, entries left for heads. */
export async function info(flags: Record<string, string | boolean | undefined>, io: Io): Promise<void> {
  if (typeof flags.weights !== 'string')
    throw new UsageError(`Missing --weights FILE.\nusage: ${INFO_USAGE}`);
  const { model, rest, layout, prefix } = await loadBackbone(flags.weights);
  try {
    const summary = {
      layout,
      prefix,
      config: model.config,
      encoderParams: countParams(model.params),
      otherEntries: [...rest.entries()].map(([name, a]) => ({ name, shape: a.shape, dtype: a.dtype })),
    };
    if (flags.json) io.out(JSON.stringify(summary));
    else {
      io.out(`layout ${layout} (prefix "${prefix}")`);
      for (const [k, v] of Object.entries(model.config)) io.out(`  ${k}: ${JSON.stringify(v)}`);
      io.out(`encoder parameters: ${summary.encoderParams.toLocaleString('en')}`);
      for (const e of summary.otherEntries) io.out(`other: ${e.name} [${e.shape.join(', ')}] ${e.dtype}`);
    }
  } finally {
    model.dispose();
  }
}
