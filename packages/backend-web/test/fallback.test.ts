/**
 * The fallback order with fake probes and imports. The fake "webgpu"/"webgl"/"wasm" backends are
 * CPU backends registered under those names, so tf.setBackend really runs; real GPU and wasm
 * backends in a real browser are covered by test/browser.test.ts at the repository root.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type BackendName,
  BackendUnavailableError,
  createBackendPicker,
  describeBackend,
  type Loader,
  type Probe,
} from '../src/index';

const FAKES: BackendName[] = ['webgpu', 'webgl', 'wasm'];

/** Every probe and import call, in order, so tests can check what was tried and when. */
let calls: string[];

const ok =
  (name: string): Probe =>
  async () => {
    calls.push(`probe ${name}`);
    return undefined;
  };
const no =
  (name: string, reason: string): Probe =>
  async () => {
    calls.push(`probe ${name}`);
    return reason;
  };

/** An import that registers a CPU backend under `name`, like a real backend module does. */
function registering(name: BackendName, extra: Record<string, unknown> = {}): Loader {
  return async () => {
    calls.push(`import ${name}`);
    if (tf.findBackendFactory(name) == null) {
      tf.registerBackend(name, () => {
        calls.push(`start ${name}`);
        return new MathBackendCPU();
      });
    }
    return extra;
  };
}

/** An import whose backend fails to start (as WebGL does when context creation fails late). */
function failingToStart(name: BackendName): Loader {
  return async () => {
    calls.push(`import ${name}`);
    if (tf.findBackendFactory(name) == null) {
      tf.registerBackend(name, () => {
        calls.push(`start ${name}`);
        throw new Error(`${name} exploded`);
      });
    }
    return {};
  };
}

const quiet = console.warn;
beforeEach(async () => {
  calls = [];
  // tfjs warns on failed backend starts; those are expected here.
  console.warn = () => {};
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
});
afterEach(async () => {
  console.warn = quiet;
  await tf.setBackend('cpu');
  for (const name of FAKES) if (tf.findBackendFactory(name) != null) tf.removeBackend(name);
});

describe('auto', () => {
  it('takes the first candidate whose probe, import and start succeed, in order', async () => {
    const picker = createBackendPicker({
      probes: { webgpu: no('webgpu', 'no adapter'), webgl: ok('webgl') },
      loaders: { webgl: registering('webgl'), wasm: registering('wasm') },
    });
    const choice = await picker.useBackend();
    expect(choice).toEqual({
      name: 'webgl',
      tfBackend: 'webgl',
      skipped: [{ name: 'webgpu', reason: 'no adapter' }],
    });
    expect(tf.getBackend()).toBe('webgl');
    // webgpu was never imported (its probe failed) and wasm was never touched.
    expect(calls).toEqual(['probe webgpu', 'probe webgl', 'import webgl', 'start webgl']);
    expect(describeBackend(choice)).toBe('backend: webgl (skipped webgpu: no adapter)');
  });

  it('falls through a failed import and a failed start to the next candidate', async () => {
    const picker = createBackendPicker({
      probes: { webgpu: ok('webgpu'), webgl: ok('webgl'), wasm: ok('wasm') },
      loaders: {
        webgpu: async () => {
          calls.push('import webgpu');
          throw new Error('Failed to fetch dynamically imported module\nstack…');
        },
        webgl: failingToStart('webgl'),
        wasm: registering('wasm'),
      },
    });
    const choice = await picker.useBackend('auto');
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped).toEqual([
      {
        name: 'webgpu',
        reason:
          'could not import @tensorflow/tfjs-backend-webgpu: Failed to fetch dynamically imported module',
      },
      { name: 'webgl', reason: 'initialisation failed (see the TensorFlow.js warning in the console)' },
    ]);
  });

  it('ends at cpu when nothing else works, and a throwing probe counts as a failure', async () => {
    const picker = createBackendPicker({
      probes: {
        webgpu: async () => {
          throw new Error('SecurityError');
        },
        webgl: no('webgl', 'no context'),
        wasm: no('wasm', 'WebAssembly is not available'),
      },
    });
    const choice = await picker.useBackend();
    expect(choice.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.skipped.map((s) => s.reason)).toEqual([
      'probe failed: SecurityError',
      'no context',
      'WebAssembly is not available',
    ]);
  });

  it('throws listing every reason when even cpu fails, and keeps the previous backend', async () => {
    const picker = createBackendPicker({
      probes: {
        webgpu: no('webgpu', 'a'),
        webgl: no('webgl', 'b'),
        wasm: no('wasm', 'c'),
        cpu: no('cpu', 'd'),
      },
    });
    const err = await picker.useBackend().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toContain('webgpu: a; webgl: b; wasm: c; cpu: d');
    expect((err as BackendUnavailableError).skipped).toHaveLength(4);
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('a named backend', () => {
  it('must work: no fallback, the reason in the error, the previous backend still active', async () => {
    const picker = createBackendPicker({
      probes: { webgl: ok('webgl') },
      loaders: { webgl: failingToStart('webgl'), wasm: registering('wasm') },
    });
    const err = await picker.useBackend('webgl').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/^useBackend\('webgl'\): backend 'webgl' is unavailable \(/);
    expect((err as BackendUnavailableError).requested).toBe('webgl');
    expect(calls).not.toContain('import wasm');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('rejects an unknown name, listing the allowed ones', async () => {
    const picker = createBackendPicker();
    const err = await picker.useBackend('tensorflow' as BackendName).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toBe(
      "useBackend('tensorflow'): unknown backend name 'tensorflow'. Allowed: auto, webgpu, webgl, wasm, cpu.",
    );
  });
});

describe('wasmPaths', () => {
  function wasmWithPaths(received: unknown[], fail?: string): Loader {
    const setWasmPaths = (paths: unknown) => {
      calls.push('setWasmPaths');
      if (fail) throw new Error(fail);
      received.push(paths);
    };
    return registering('wasm', { setWasmPaths });
  }

  it('are set after the import and before the backend starts; a folder gets its trailing slash', async () => {
    const received: unknown[] = [];
    const picker = createBackendPicker({ loaders: { wasm: wasmWithPaths(received) } });
    await picker.useBackend('wasm', { wasmPaths: '/static/tfjs' });
    expect(received).toEqual(['/static/tfjs/']);
    expect(calls).toEqual(['import wasm', 'setWasmPaths', 'start wasm']);
  });

  it('pass a file map through unchanged, and are not set when not given', async () => {
    const map = {
      'tfjs-backend-wasm.wasm': '/a.wasm',
      'tfjs-backend-wasm-simd.wasm': '/b.wasm',
      'tfjs-backend-wasm-threaded-simd.wasm': '/c.wasm',
    };
    const received: unknown[] = [];
    await createBackendPicker({ loaders: { wasm: wasmWithPaths(received) } }).useBackend('wasm', {
      wasmPaths: map,
    });
    expect(received).toEqual([map]);
    tf.removeBackend('wasm');
    calls = [];
    await createBackendPicker({ loaders: { wasm: wasmWithPaths(received) } }).useBackend('wasm');
    expect(calls).toEqual(['import wasm', 'start wasm']);
  });

  it('a setWasmPaths error is the skip reason', async () => {
    const picker = createBackendPicker({
      probes: { webgpu: no('webgpu', 'x'), webgl: no('webgl', 'y') },
      loaders: { wasm: wasmWithPaths([], 'The WASM backend was already initialized.') },
    });
    const choice = await picker.useBackend('auto', { wasmPaths: '/wasm/' });
    expect(choice.name).toBe('cpu');
    expect(choice.skipped[2]).toEqual({
      name: 'wasm',
      reason: 'setWasmPaths failed: The WASM backend was already initialized.',
    });
  });
});

describe('cache', () => {
  it('returns the same choice without probing again, and switches back after another preference', async () => {
    const picker = createBackendPicker({
      probes: { webgpu: no('webgpu', 'no adapter'), webgl: ok('webgl') },
      loaders: { webgl: registering('webgl') },
    });
    const first = await picker.useBackend();
    calls = [];
    expect(await picker.useBackend()).toBe(first);
    expect(calls).toEqual([]);
    const cpu = await picker.useBackend('cpu');
    expect(cpu).toEqual({ name: 'cpu', tfBackend: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(await picker.useBackend()).toBe(first);
    expect(tf.getBackend()).toBe('webgl');
    expect(calls).toEqual([]);
  });

  it('runs concurrent calls one after another', async () => {
    const picker = createBackendPicker({
      probes: { webgpu: no('webgpu', 'n'), webgl: ok('webgl') },
      loaders: { webgl: registering('webgl') },
    });
    const [a, b, c] = await Promise.all([picker.useBackend(), picker.useBackend('cpu'), picker.useBackend()]);
    expect(a).toBe(c);
    expect(b.name).toBe('cpu');
    expect(tf.getBackend()).toBe('webgl');
  });
});
