export { PoolError, type PoolErrorCode } from './pool/errors';
export {
  createPool,
  type Pool,
  type PoolCallOptions,
  type PoolClassifyOptions,
  type PoolEncodeOptions,
  type PoolImage,
  type PoolLoadOptions,
  type PoolOptions,
  type WorkerStats,
} from './pool/pool';
export type { BackendChoice, BackendName } from './select';
export {
  BACKEND_ENV_VAR,
  BACKEND_NAMES,
  BackendUnavailableError,
  describeBackend,
  useBackend,
} from './select';
