/** The `flexivit` command. */
import { parseArgs } from 'node:util';
import { describeBackend, useBackend } from '@flexivit/backend-node';
import { FlexiViTError } from '@flexivit/core';
import { UsageError } from './args';
import { BENCH_USAGE, bench } from './commands/bench';
import { CLASSIFY_USAGE, classify } from './commands/classify';
import { DEMO_USAGE } from './commands/demo';
import { demo } from './commands/demo-fashion';
import { EVAL_USAGE, evalCommand } from './commands/eval';
import { INFO_USAGE, info } from './commands/info';
import { TRAIN_USAGE, trainCommand } from './commands/train';
import { type Io, processIo } from './io';

const USAGE = `usage:
  ${CLASSIFY_USAGE}
  ${INFO_USAGE}
  ${DEMO_USAGE}
  ${BENCH_USAGE}
  ${TRAIN_USAGE}
  ${EVAL_USAGE}
common: [--backend auto|wasm|cpu|tensorflow|tensorflow-gpu] (or FLEXIVIT_BACKEND)`;

const OPTIONS = {
  weights: { type: 'string' },
  'patch-size': { type: 'string' },
  'patch-sizes': { type: 'string' },
  resolution: { type: 'string' },
  'top-k': { type: 'string' },
  labels: { type: 'string' },
  resize: { type: 'string' },
  runs: { type: 'string' },
  'budget-ms': { type: 'string' },
  model: { type: 'string' },
  batch: { type: 'string' },
  workers: { type: 'string' },
  iterations: { type: 'string' },
  config: { type: 'string' },
  out: { type: 'string' },
  data: { type: 'string' },
  steps: { type: 'string' },
  'stop-at': { type: 'string' },
  parity: { type: 'boolean' },
  soak: { type: 'string' },
  seed: { type: 'string' },
  limit: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'boolean' },
  logits: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Run the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`error: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, ...positionals] = parsed.positionals;
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  if (!command || flags.help || command === 'help') {
    (command ? io.out : io.err)(USAGE);
    return command ? 0 : 2;
  }
  try {
    if (!['classify', 'info', 'demo', 'bench', 'train', 'eval'].includes(command))
      throw new UsageError(`Unknown command "${command}".\n${USAGE}`);
    const backend = await useBackend((flags.backend as Parameters<typeof useBackend>[0]) ?? undefined);
    io.err(describeBackend(backend));
    if (command === 'classify') await classify(positionals, flags, io);
    else if (command === 'info') await info(flags, io);
    else if (command === 'bench') await bench(flags, io, backend.name);
    else if (command === 'train') await trainCommand(flags, io);
    else if (command === 'eval') await evalCommand(flags, io);
    else await demo(flags, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}`);
      return 2;
    }
    if (err instanceof FlexiViTError || (err instanceof Error && err.name === 'BackendUnavailableError')) {
      io.err(`error [${(err as FlexiViTError).code ?? err.name}]: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
