import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_NAMES, BackendUnavailableError, describeBackend, useBackend } from '../src/index';

// Probe the optional peers the same way the library does, so expectations match this machine.
async function probe(specifier: string): Promise<string | null> {
  try {
    await import(/* @vite-ignore */ specifier);
    return null;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  }
}
const gpuMissing = await probe('@tensorflow/tfjs-node-gpu');
const nodeMissing = await probe('@tensorflow/tfjs-node');
const noNativePackages = gpuMissing !== null && nodeMissing !== null;

const savedEnv = process.env.FLEXIVIT_BACKEND;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.FLEXIVIT_BACKEND;
  else process.env.FLEXIVIT_BACKEND = savedEnv;
});

describe('useBackend', () => {
  it.skipIf(!noNativePackages)('auto falls through to wasm when tfjs-node is absent', async () => {
    delete process.env.FLEXIVIT_BACKEND;
    const choice = await useBackend();
    expect(choice.name).toBe('wasm');
    expect(choice.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    for (const s of choice.skipped) expect(s.reason).toBe('module not installed');
    expect(describeBackend(choice)).toBe(
      'backend: wasm (skipped tensorflow-gpu: module not installed; tensorflow: module not installed)',
    );
  });

  it('computes correct numbers on the chosen backend', async () => {
    delete process.env.FLEXIVIT_BACKEND;
    await useBackend('auto');
    const a = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tf.tensor2d([
      [7, 8],
      [9, 10],
      [11, 12],
    ]);
    const c = tf.matMul(a, b);
    expect(c.shape).toEqual([2, 2]);
    expect(Array.from(await c.data())).toEqual([58, 64, 139, 154]);
    tf.dispose([a, b, c]);
  });

  it('is cached per preference and can switch back and forth', async () => {
    delete process.env.FLEXIVIT_BACKEND;
    const first = await useBackend('auto');
    expect(await useBackend('auto')).toBe(first);
    const cpu = await useBackend('cpu');
    expect(cpu.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const again = await useBackend('auto');
    expect(again).toBe(first);
    expect(tf.getBackend()).toBe(first.tfBackend);
  });

  it('FLEXIVIT_BACKEND=cpu forces the cpu backend over the argument', async () => {
    process.env.FLEXIVIT_BACKEND = 'cpu';
    const choice = await useBackend('wasm');
    expect(choice).toMatchObject({ name: 'cpu', tfBackend: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(describeBackend(choice)).toBe('backend: cpu');
  });

  it('rejects an unknown name, from the env var or the argument, listing the allowed names', async () => {
    process.env.FLEXIVIT_BACKEND = 'webgpu';
    const fromEnv = await useBackend().catch((e: unknown) => e);
    expect(fromEnv).toBeInstanceOf(BackendUnavailableError);
    expect((fromEnv as Error).message).toContain("unknown backend name 'webgpu'");
    for (const name of ['auto', ...BACKEND_NAMES]) expect((fromEnv as Error).message).toContain(name);

    delete process.env.FLEXIVIT_BACKEND;
    await expect(useBackend('gpu' as never)).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it.skipIf(nodeMissing === null)(
    'forcing tensorflow without tfjs-node throws and keeps the active backend',
    async () => {
      delete process.env.FLEXIVIT_BACKEND;
      await useBackend('cpu');
      process.env.FLEXIVIT_BACKEND = 'tensorflow';
      const err = await useBackend().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      const e = err as BackendUnavailableError;
      expect(e.message).toContain('FLEXIVIT_BACKEND=tensorflow');
      expect(e.message).toContain('module not installed');
      expect(e.message).toContain('@tensorflow/tfjs-node');
      expect(e.allowed).toEqual(['auto', ...BACKEND_NAMES]);
      expect(e.skipped).toEqual([{ name: 'tensorflow', reason: 'module not installed' }]);
      expect(tf.getBackend()).toBe('cpu');
    },
  );

  if (nodeMissing !== null) console.info(`skipping the tfjs-node test: ${nodeMissing}`);
  it.skipIf(nodeMissing !== null)('uses tfjs-node when it is installed', async () => {
    process.env.FLEXIVIT_BACKEND = 'tensorflow';
    const choice = await useBackend();
    expect(choice).toMatchObject({ name: 'tensorflow', tfBackend: 'tensorflow' });
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
  });
});
