export { bf16ToFloat, floatToBf16, floatToHalf, halfToFloat } from './half';
export { encodeNpy, isNpy, parseNpy } from './npy';
export { readNpz, type WriteNpzOptions, writeNpz } from './npz';
export {
  parseSafetensors,
  readSafetensors,
  type SafetensorsContents,
  type WriteSafetensorsOptions,
  writeSafetensors,
} from './safetensors';
export {
  type CheckpointSource,
  detectFormat,
  type ReadCheckpointOptions,
  readCheckpoint,
  type WriteCheckpointOptions,
  writeCheckpoint,
} from './source';
export {
  checkTfjsManifest,
  decodeTfjsWeights,
  type EncodeTfjsOptions,
  encodeTfjsModel,
  parseTfjsModelJson,
  type TfjsModelFiles,
} from './tfjs';
export type {
  CheckpointFormat,
  FloatWriteDType,
  RawArray,
  RawCheckpoint,
  StoredDType,
  TfjsModelJson,
  TfjsWeightEntry,
  TfjsWeightGroup,
  TfjsWeightsManifest,
} from './types';
