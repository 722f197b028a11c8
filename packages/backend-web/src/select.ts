import {
  firstLine,
  registerWasmKernels,
  restoreBackend,
  reuseBackend,
  BackendUnavailableError as SharedBackendUnavailableError,
  describeBackend as sharedDescribe,
} from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendName,
  DEFAULT_LOADERS,
  DEFAULT_PROBES,
  type Loader,
  type Probe,
  SPECIFIERS,
} from './probes';

export type { BackendName, Loader, Probe };

/** What {@link useBackend} settled on, and why it passed over the faster ones. */
export interface BackendChoice {
  /** Which of our candidates is active. */
  name: BackendName;
  /** The TensorFlow.js backend name, as `tf.getBackend()` reports it. */
  tfBackend: string;
  /** Candidates tried before `name`, in order, with the reason each was not used. */
  skipped: { name: BackendName; reason: string }[];
}

export interface UseBackendOptions {
  /**
   * Where the wasm backend fetches its `.wasm` binaries: a folder URL (a trailing `/` is added if
   * missing), or a map from each of the three file names to its URL. Passed to `setWasmPaths` of
   * `@tensorflow/tfjs-backend-wasm` before the backend starts. Without it the binaries are looked
   * up next to the JavaScript of the wasm backend, which a bundler usually moves.
   */
  wasmPaths?: string | Record<string, string>;
}

/** Replacements for the environment checks and imports, for tests and unusual hosts. */
export interface BackendPickerOptions {
  probes?: Partial<Record<BackendName, Probe>>;
  loaders?: Partial<Record<BackendName, Loader>>;
}

export interface BackendPicker {
  useBackend(preference?: BackendName | 'auto', options?: UseBackendOptions): Promise<BackendChoice>;
}

/** All backend names, in the order 'auto' tries them. */
export const BACKEND_NAMES: readonly BackendName[] = Object.freeze([
  'webgpu',
  'webgl',
  'wasm',
  'cpu',
] as const);

const ALLOWED: readonly string[] = ['auto', ...BACKEND_NAMES];

/** Thrown when a backend was asked for by name and cannot be used, or the name is not one we know. */
export class BackendUnavailableError extends SharedBackendUnavailableError<BackendName> {
  constructor(
    message: string,
    requested: string,
    skipped: readonly { name: BackendName; reason: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, requested, ALLOWED, skipped, options);
  }
}

function isBackendName(s: string): s is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(s);
}

// tfjs-backend-wasm joins the prefix and the file name without a separator.
function normaliseWasmPaths(paths: string | Record<string, string>): string | Record<string, string> {
  if (typeof paths === 'string' && paths !== '' && !paths.endsWith('/')) return `${paths}/`;
  return paths;
}

function applyWasmPaths(mod: unknown, paths: string | Record<string, string>): string | undefined {
  const set = (mod as { setWasmPaths?: unknown } | null)?.setWasmPaths;
  if (typeof set !== 'function') return `${SPECIFIERS.wasm} loaded but exports no setWasmPaths`;
  try {
    set(normaliseWasmPaths(paths));
  } catch (err) {
    // tfjs refuses new paths once an earlier start of the wasm backend failed in this page.
    return `setWasmPaths failed: ${firstLine(err)}`;
  }
  return undefined;
}

// A failed setBackend leaves tf pointing at a backend with no instance; put the previous one back

/**
 * A backend picker with its own cache. {@link useBackend} is the one built with the real probes
 * and imports; tests pass fakes here.
 */
export function createBackendPicker(overrides: BackendPickerOptions = {}): BackendPicker {
  const probes: Record<BackendName, Probe> = { ...DEFAULT_PROBES, ...overrides.probes };
  const loaders: Record<BackendName, Loader> = { ...DEFAULT_LOADERS, ...overrides.loaders };
  const cache = new Map<string, BackendChoice>();
  // Backend switching is global tf state, so selections run one at a time.
  let queue: Promise<unknown> = Promise.resolve();

  /** Probes, imports and activates one candidate; returns why not if any step fails. */
  async function activate(name: BackendName, options: UseBackendOptions): Promise<string | undefined> {
    let reason: string | undefined;
    try {
      reason = await probes[name]();
    } catch (err) {
      reason = `probe failed: ${firstLine(err)}`;
    }
    if (reason !== undefined) return reason;

    let mod: unknown;
    try {
      mod = await loaders[name]();
    } catch (err) {
      return `could not import ${SPECIFIERS[name]}: ${firstLine(err)}`;
    }
    if (name === 'wasm' && options.wasmPaths !== undefined) {
      const failed = applyWasmPaths(mod, options.wasmPaths);
      if (failed !== undefined) return failed;
    }
    if (tf.findBackendFactory(name) == null) {
      return `${SPECIFIERS[name]} loaded but did not register the '${name}' backend`;
    }
    let ok: boolean;
    try {
      ok = await tf.setBackend(name);
      await tf.ready();
    } catch (err) {
      return `initialisation failed: ${firstLine(err)}`;
    }
    if (!ok) return 'initialisation failed (see the TensorFlow.js warning in the console)';
    const active = tf.getBackend();
    if (active !== name) return `tf.getBackend() is '${active}' after setBackend('${name}')`;
    if (name === 'wasm') registerWasmKernels(); // stock Slice/SplitV copy the whole input per slice
    return undefined;
  }

  async function select(key: BackendName | 'auto', options: UseBackendOptions): Promise<BackendChoice> {
    const previous = tf.getBackend() as string | undefined;
    const order = key === 'auto' ? BACKEND_NAMES : [key];
    const skipped: { name: BackendName; reason: string }[] = [];
    for (const name of order) {
      const reason = await activate(name, options);
      if (reason === undefined) {
        return Object.freeze({
          name,
          tfBackend: tf.getBackend(),
          skipped: Object.freeze(skipped) as typeof skipped,
        });
      }
      skipped.push({ name, reason });
    }
    await restoreBackend(previous);
    const source = `useBackend('${key}')`;
    if (key === 'auto') {
      const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
      throw new BackendUnavailableError(
        `${source}: no TensorFlow.js backend could be started (${why}).`,
        key,
        skipped,
      );
    }
    throw new BackendUnavailableError(
      `${source}: backend '${key}' is unavailable (${skipped[0]!.reason}).`,
      key,
      skipped,
    );
  }

  async function useBackendNow(
    preference: string | undefined,
    options: UseBackendOptions,
  ): Promise<BackendChoice> {
    const key = preference ?? 'auto';
    if (key !== 'auto' && !isBackendName(key)) {
      throw new BackendUnavailableError(`useBackend('${key}'): unknown backend name '${key}'.`, key);
    }
    const hit = cache.get(key);
    if (hit) {
      if (await reuseBackend(hit)) return hit;
      cache.delete(key);
    }
    const choice = await select(key, options);
    cache.set(key, choice);
    return choice;
  }

  return {
    useBackend(preference, options = {}) {
      const run = queue.then(() => useBackendNow(preference, options));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

const shared = createBackendPicker();

/**
 * Loads and activates the fastest TensorFlow.js backend that works in this browser or worker.
 *
 * 'auto' (the default) tries WebGPU, WebGL, wasm and cpu in that order; each is probed first
 * (an adapter for WebGPU, a context for WebGL) and its module imported only when it is tried.
 * A specific name must work or a {@link BackendUnavailableError} is thrown. Results are cached
 * per preference, so repeated calls are cheap.
 */
export function useBackend(
  preference?: BackendName | 'auto',
  options?: UseBackendOptions,
): Promise<BackendChoice> {
  return shared.useBackend(preference, options);
}

export const describeBackend: (choice: BackendChoice) => string = sharedDescribe;
