export type { BackendChoice, BackendName } from './select';
export {
  BACKEND_ENV_VAR,
  BACKEND_NAMES,
  BackendUnavailableError,
  describeBackend,
  useBackend,
} from './select';
