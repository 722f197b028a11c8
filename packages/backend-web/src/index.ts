export type {
  BackendChoice,
  BackendName,
  BackendPicker,
  BackendPickerOptions,
  Loader,
  Probe,
  UseBackendOptions,
} from './select';
export {
  BACKEND_NAMES,
  BackendUnavailableError,
  createBackendPicker,
  describeBackend,
  useBackend,
} from './select';
