/**
 * The real probes and imports, in Node: there is no WebGPU and no canvas here, so 'auto' must
 * explain both and land on wasm, which then computes correct numbers.
 */

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError, describeBackend, useBackend } from '../src/index';

const require = createRequire(import.meta.url);
const WASM_DIST = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));

describe('useBackend in Node', () => {
  it("'webgl' is refused with the reason, before its module is imported", async () => {
    const err = await useBackend('webgl').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toContain('no canvas to create a WebGL context on');
    expect(tf.findBackendFactory('webgl')).toBeNull();
  });

  it("'auto' skips webgpu and webgl with reasons and starts wasm from the given folder", async () => {
    // Node reads a wasmPaths folder from disk, like a browser fetches it from a URL.
    const choice = await useBackend('auto', { wasmPaths: WASM_DIST });
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.name)).toEqual(['webgpu', 'webgl']);
    expect(describeBackend(choice)).toMatch(
      /^backend: wasm \(skipped webgpu: navigator\.gpu is not available .*; webgl: no canvas .*\)$/,
    );
    // Neither GPU backend module was imported.
    expect(tf.findBackendFactory('webgpu')).toBeNull();
    expect(tf.findBackendFactory('webgl')).toBeNull();

    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2]);
    const c = tf.matMul(a, b);
    expect(Array.from(await c.data())).toEqual([58, 64, 139, 154]);
    tf.dispose([a, b, c]);
  });

  it("'cpu' always works and the cached 'auto' comes back", async () => {
    const auto = await useBackend('auto');
    expect((await useBackend('cpu')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await useBackend()).toBe(auto);
    expect(tf.getBackend()).toBe('wasm');
  });
});
