/**
 * The page script of test/browser.test.ts, bundled for the browser by esbuild. It exposes
 * `globalThis.flexivit.run(request)`, which picks a backend, loads the parity checkpoint by URL and
 * computes the logits of the parity image (also by URL) at each patch size, twice.
 */
import { type BackendChoice, type BackendName, describeBackend, useBackend } from '@flexivit/backend-web';
import { type FlexiViTClassifier, load } from '@flexivit/classifier';
import * as tf from '@tensorflow/tfjs-core';

export interface PageRequest {
  backend: BackendName;
  checkpoint: string;
  image: string;
  patchSizes: number[];
  wasmPaths?: string;
}

export interface PageRound {
  logits: Record<number, number[]>;
  ms: Record<number, number>;
  totalMs: number;
  numTensorsAfter: number;
}

export type PickResult = BackendChoice & { active: string; description: string };

export interface PageResult {
  tfBackend: string;
  description: string;
  flags: Record<string, unknown>;
  loadMs: number;
  numTensorsBeforeLoad: number;
  numTensorsAfterLoad: number;
  rounds: PageRound[];
  numTensorsAfterDispose: number;
}

async function round(model: FlexiViTClassifier, req: PageRequest): Promise<PageRound> {
  const logits: Record<number, number[]> = {};
  const ms: Record<number, number> = {};
  const start = performance.now();
  for (const patchSize of req.patchSizes) {
    const t = performance.now();
    const out = await model.logits(req.image, { patchSize });
    logits[patchSize] = Array.from(await out.data());
    out.dispose();
    ms[patchSize] = performance.now() - t;
  }
  return { logits, ms, totalMs: performance.now() - start, numTensorsAfter: tf.memory().numTensors };
}

// Which variant of the backend ran: float32 textures on WebGL, SIMD/threads on wasm.
async function backendFlags(): Promise<Record<string, unknown>> {
  const names: Record<string, string[]> = {
    webgl: ['WEBGL_VERSION', 'WEBGL_RENDER_FLOAT32_ENABLED', 'WEBGL_PACK'],
    wasm: ['WASM_HAS_SIMD_SUPPORT', 'WASM_HAS_MULTITHREAD_SUPPORT'],
  };
  const flags: Record<string, unknown> = {};
  for (const name of names[tf.getBackend()] ?? []) {
    try {
      flags[name] = await tf.env().getAsync(name);
    } catch (err) {
      flags[name] = `unavailable: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return flags;
}

async function run(req: PageRequest): Promise<PageResult> {
  const choice = await useBackend(req.backend, { wasmPaths: req.wasmPaths });
  const numTensorsBeforeLoad = tf.memory().numTensors;
  const t = performance.now();
  const model = await load(req.checkpoint);
  const loadMs = performance.now() - t;
  const numTensorsAfterLoad = tf.memory().numTensors;
  const rounds: PageRound[] = [];
  try {
    // The first round fills the per-patch-size caches; the second must not add tensors.
    rounds.push(await round(model, req));
    rounds.push(await round(model, req));
  } finally {
    model.dispose();
  }
  return {
    tfBackend: tf.getBackend(),
    description: describeBackend(choice),
    flags: await backendFlags(),
    loadMs,
    numTensorsBeforeLoad,
    numTensorsAfterLoad,
    rounds,
    numTensorsAfterDispose: tf.memory().numTensors,
  };
}

/** Only picks a backend: what 'auto' settles on in this browser, and why it skipped the others. */
async function pick(preference: BackendName | 'auto'): Promise<PickResult> {
  const choice = await useBackend(preference);
  return { ...choice, active: tf.getBackend(), description: describeBackend(choice) };
}

(globalThis as { flexivit?: unknown }).flexivit = { run, pick };
