/**
 * Cheap checks that a backend can run here, made before its module is imported, and the imports
 * themselves. Both are plain functions so tests (and unusual hosts) can replace them.
 */

/** The backends this package can pick, fastest first. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Resolves to `undefined` when the backend looks usable here, else to the reason it is not. */
export type Probe = () => Promise<string | undefined>;

/** Imports the module that registers a backend with tfjs-core and resolves to that module. */
export type Loader = () => Promise<unknown>;

import { firstLine } from '@flexivit/core';

interface GpuLike {
  requestAdapter(options?: unknown): Promise<unknown>;
}

async function probeWebGPU(): Promise<string | undefined> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (gpu == null) {
    return 'navigator.gpu is not available (this browser has no WebGPU, or the page is not a secure context)';
  }
  let adapter: unknown;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    return `navigator.gpu.requestAdapter() failed: ${firstLine(err)}`;
  }
  // A null adapter is how browsers say "WebGPU exists but not on this GPU/driver".
  if (adapter == null) return 'navigator.gpu.requestAdapter() found no adapter';
  return undefined;
}

type AnyCanvas = HTMLCanvasElement | OffscreenCanvas;

function newCanvas(): AnyCanvas | undefined {
  // OffscreenCanvas first: it also exists in workers, where there is no document.
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(1, 1);
  if (typeof document !== 'undefined' && typeof document.createElement === 'function') {
    return document.createElement('canvas');
  }
  return undefined;
}

async function probeWebGL(): Promise<string | undefined> {
  if (newCanvas() === undefined) {
    return 'no canvas to create a WebGL context on (neither OffscreenCanvas nor document exists here)';
  }
  for (const kind of ['webgl2', 'webgl'] as const) {
    // A fresh canvas per kind: a canvas keeps the first context type it was asked for.
    const canvas = newCanvas()!;
    let gl: WebGLRenderingContext | WebGL2RenderingContext | null = null;
    try {
      gl = canvas.getContext(kind) as WebGLRenderingContext | WebGL2RenderingContext | null;
    } catch {
      gl = null;
    }
    if (gl != null) {
      // Browsers cap live WebGL contexts; free this one now rather than at garbage collection.
      gl.getExtension('WEBGL_lose_context')?.loseContext();
      return undefined;
    }
  }
  return 'could not create a WebGL2 or WebGL context (WebGL is disabled or unsupported here)';
}

async function probeWasm(): Promise<string | undefined> {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') {
    return 'WebAssembly is not available';
  }
  return undefined;
}

export const DEFAULT_PROBES: Readonly<Record<BackendName, Probe>> = Object.freeze({
  webgpu: probeWebGPU,
  webgl: probeWebGL,
  wasm: probeWasm,
  cpu: async () => undefined,
});

/** npm package that registers each backend. */
export const SPECIFIERS: Readonly<Record<BackendName, string>> = Object.freeze({
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  webgl: '@tensorflow/tfjs-backend-webgl',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
});

// Literal specifiers so bundlers see them and split each backend into its own chunk: an app
// downloads only the backends that are actually tried.
export const DEFAULT_LOADERS: Readonly<Record<BackendName, Loader>> = Object.freeze({
  webgpu: () => import('@tensorflow/tfjs-backend-webgpu'),
  webgl: () => import('@tensorflow/tfjs-backend-webgl'),
  wasm: () => import('@tensorflow/tfjs-backend-wasm'),
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
});
