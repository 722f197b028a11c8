export { decodeImage } from './decode';
export { loadImages } from './load';
export { DEFAULT_CROP_RATIO, NORMALIZE_PRESETS, preprocess } from './preprocess';
export type {
  ImageInput,
  MeanStd,
  Normalization,
  NormalizePreset,
  PixelData,
  PreprocessOptions,
  ResizeMode,
} from './types';
