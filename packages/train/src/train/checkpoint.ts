/**
 * What a training run writes to its folder, each file written to a temp name and renamed:
 *   model.npz         the weights in big_vision layout (params/…, head included)
 *   web/model.json    the same weights in the TF.js web format (+ shards)
 *   state.npz         AdamW moments (m/…, v/…) and the step, for resume
 *   run.json          config, step, labels, history — written last: it commits the checkpoint
 */
import { mapCheckpoint, type RawCheckpoint, readCheckpoint, writeCheckpoint } from '@flexivit/core';
import type { AdamW } from '../optim/adamw';
import type { TrainConfig } from './config';
import type { EvalResult } from './evaluate';
import { TrainableClassifier } from './model';

export interface RunRecord {
  config: TrainConfig;
  step: number;
  labels: string[];
  history: { step: number; loss: number; lr: number; patchSize: number; imgPerSec: number }[];
  evals: { step: number; results: EvalResult[] }[];
  seconds: number;
}

async function nodeFs() {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  return { fs, path };
}

export async function saveRun(
  dir: string,
  model: TrainableClassifier,
  optimizer: AdamW,
  record: RunRecord,
): Promise<void> {
  const { fs, path } = await nodeFs();
  await fs.mkdir(dir, { recursive: true });
  const params = await model.toBigVision();
  await writeCheckpoint(path.join(dir, 'model.npz'), params, { format: 'npz' });
  await writeCheckpoint(path.join(dir, 'web'), params, { format: 'tfjs' });
  const state: RawCheckpoint = new Map();
  for (const [name, m] of optimizer.m)
    state.set(`m/${name}`, {
      dtype: 'float32',
      shape: m.shape.slice(),
      data: (await m.data()) as Float32Array,
    });
  for (const [name, v] of optimizer.v)
    state.set(`v/${name}`, {
      dtype: 'float32',
      shape: v.shape.slice(),
      data: (await v.data()) as Float32Array,
    });
  state.set('step', { dtype: 'int32', shape: [], data: Int32Array.of(record.step) });
  await writeCheckpoint(path.join(dir, 'state.npz'), state, { format: 'npz' });
  const tmp = path.join(dir, `run.json.${process.pid}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(record, null, 1));
  await fs.rename(tmp, path.join(dir, 'run.json'));
}

/** A saved run, or null when `dir` has none. Model and moments agree with run.json's step. */
export async function loadRun(dir: string): Promise<{
  record: RunRecord;
  model: TrainableClassifier;
  moments: { m: Map<string, Float32Array>; v: Map<string, Float32Array> };
} | null> {
  const { fs, path } = await nodeFs();
  let record: RunRecord;
  try {
    record = JSON.parse(await fs.readFile(path.join(dir, 'run.json'), 'utf8'));
  } catch {
    return null;
  }
  const state = await readCheckpoint(path.join(dir, 'state.npz'));
  const savedStep = state.get('step')?.data[0];
  if (savedStep !== record.step) {
    throw new Error(
      `${dir}: state.npz is at step ${savedStep} but run.json at ${record.step}; the run folder is inconsistent.`,
    );
  }
  const mapped = mapCheckpoint(await readCheckpoint(path.join(dir, 'model.npz')));
  const model = TrainableClassifier.fromCheckpoint(mapped);
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [k, a] of state) {
    if (k.startsWith('m/')) m.set(k.slice(2), a.data as Float32Array);
    else if (k.startsWith('v/')) v.set(k.slice(2), a.data as Float32Array);
  }
  return { record, model, moments: { m, v } };
}
