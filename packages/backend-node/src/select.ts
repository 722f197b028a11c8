import {
  firstLine,
  registerWasmKernels,
  restoreBackend,
  reuseBackend,
  BackendUnavailableError as SharedBackendUnavailableError,
  describeBackend as sharedDescribe,
} from '@flexivit/core';
import * as tf from '@tensorflow/tfjs-core';

/** The backends this package can pick, fastest first. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** What {@link useBackend} settled on, and why it passed over the faster ones. */
export interface BackendChoice {
  /** Which of our candidates is active. */
  name: BackendName;
  /** The TensorFlow.js backend name, as `tf.getBackend()` reports it ('tensorflow' for both tfjs-node kinds). */
  tfBackend: string;
  /** Candidates tried before `name`, in order, with the reason each was not used. */
  skipped: { name: BackendName; reason: string }[];
}

/** All backend names, in the order 'auto' tries them. */
export const BACKEND_NAMES: readonly BackendName[] = Object.freeze([
  'tensorflow-gpu',
  'tensorflow',
  'wasm',
  'cpu',
] as const);

/** Environment variable that overrides the preference passed in code. */
export const BACKEND_ENV_VAR = 'FLEXIVIT_BACKEND';

const ALLOWED: readonly string[] = ['auto', ...BACKEND_NAMES];

interface Candidate {
  name: BackendName;
  specifier: string;
  tfBackend: string;
}

const CANDIDATES: Record<BackendName, Candidate> = {
  'tensorflow-gpu': {
    name: 'tensorflow-gpu',
    specifier: '@tensorflow/tfjs-node-gpu',
    tfBackend: 'tensorflow',
  },
  tensorflow: { name: 'tensorflow', specifier: '@tensorflow/tfjs-node', tfBackend: 'tensorflow' },
  wasm: { name: 'wasm', specifier: '@tensorflow/tfjs-backend-wasm', tfBackend: 'wasm' },
  cpu: { name: 'cpu', specifier: '@tensorflow/tfjs-backend-cpu', tfBackend: 'cpu' },
};

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

// A variable specifier plus @vite-ignore keeps tsup/esbuild and Vite from resolving the optional
// peers at build time; the import happens for real at run time.
function loadModule(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}

// Only a failure to find the package itself means "not installed"; a missing dependency *of* the
// package (whose message mentions the package only inside a path) is a broken install, shown as is.
function isNotInstalled(err: unknown, specifier: string): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  const msg = err.message;
  // Node: ERR_MODULE_NOT_FOUND from import(), MODULE_NOT_FOUND from require() (CJS build).
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return msg.includes(`'${specifier}'`);
  }
  // Vite/Vitest resolve bare specifiers themselves and throw a plain Error.
  return msg.startsWith(`Could not resolve "${specifier}"`);
}

/** Imports a candidate, makes it the active backend, and returns why not if that fails. */
async function activate(c: Candidate): Promise<string | undefined> {
  try {
    await loadModule(c.specifier);
  } catch (err) {
    return isNotInstalled(err, c.specifier) ? 'module not installed' : firstLine(err);
  }
  if (tf.findBackendFactory(c.tfBackend) == null) {
    return `${c.specifier} loaded but did not register the '${c.tfBackend}' backend`;
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(c.tfBackend);
    await tf.ready();
  } catch (err) {
    return `initialisation failed: ${firstLine(err)}`;
  }
  if (!ok) return 'initialisation failed (see the TensorFlow.js warning above)';
  const active = tf.getBackend();
  if (active !== c.tfBackend) return `tf.getBackend() is '${active}' after setBackend('${c.tfBackend}')`;
  if (c.tfBackend === 'wasm') registerWasmKernels(); // stock Slice/SplitV copy the whole input per slice
  return undefined;
}

// A failed setBackend leaves tf pointing at a backend with no instance; put the previous one back

function resolvePreference(preference: string | undefined): { key: string; source: string } {
  const fromEnv = process.env[BACKEND_ENV_VAR]?.trim().toLowerCase();
  if (fromEnv) return { key: fromEnv, source: `${BACKEND_ENV_VAR}=${fromEnv}` };
  return { key: preference ?? 'auto', source: `useBackend('${preference ?? 'auto'}')` };
}

function isBackendName(s: string): s is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(s);
}

async function select(key: BackendName | 'auto', source: string): Promise<BackendChoice> {
  const previous = tf.getBackend() as string | undefined;
  const order = key === 'auto' ? BACKEND_NAMES : [key];
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const name of order) {
    const c = CANDIDATES[name];
    const reason = await activate(c);
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
  if (key === 'auto') {
    const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
    throw new BackendUnavailableError(
      `${source}: no TensorFlow.js backend could be loaded (${why}).`,
      key,
      skipped,
    );
  }
  const { reason } = skipped[0]!;
  const hint =
    reason === 'module not installed' ? ` Install ${CANDIDATES[key].specifier} or choose another.` : '';
  throw new BackendUnavailableError(
    `${source}: backend '${key}' is unavailable (${reason}).${hint}`,
    key,
    skipped,
  );
}

const cache = new Map<string, BackendChoice>();
// Backend switching is global tf state, so selections run one at a time.
let queue: Promise<unknown> = Promise.resolve();

async function useBackendNow(preference: string | undefined): Promise<BackendChoice> {
  const { key, source } = resolvePreference(preference);
  if (key !== 'auto' && !isBackendName(key)) {
    throw new BackendUnavailableError(`${source}: unknown backend name '${key}'.`, key);
  }
  const hit = cache.get(key);
  if (hit) {
    if (await reuseBackend(hit)) return hit;
    cache.delete(key);
  }
  const choice = await select(key, source);
  cache.set(key, choice);
  return choice;
}

/**
 * Loads and activates the fastest TensorFlow.js backend available in this Node process.
 *
 * 'auto' (the default) tries tfjs-node-gpu, tfjs-node, wasm and cpu in that order. A specific name
 * must work or a {@link BackendUnavailableError} is thrown. `FLEXIVIT_BACKEND`, when set, overrides
 * `preference`. Results are cached per preference, so repeated calls are cheap.
 */
export function useBackend(preference?: BackendName | 'auto'): Promise<BackendChoice> {
  const run = queue.then(() => useBackendNow(preference));
  queue = run.catch(() => undefined);
  return run;
}

export const describeBackend: (choice: BackendChoice) => string = sharedDescribe;
