/** dtypes a checkpoint file may store; floats are always decoded to Float32Array. */
export type StoredDType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'bool';

/** One named array as read from a checkpoint file, before any mapping to model params. */
export interface RawArray {
  /** The dtype the file stored (floats are decoded to float32 in `data`). */
  dtype: StoredDType;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** A checkpoint as read: flat names (`/`- or `.`-joined, as the file has them) to arrays. */
export type RawCheckpoint = Map<string, RawArray>;

/** The checkpoint container formats this folder reads and writes. */
export type CheckpointFormat = 'npz' | 'safetensors' | 'tfjs';

/** Float precisions a writer can store float arrays in. */
export type FloatWriteDType = 'float32' | 'float16' | 'bfloat16';

/** One weight in a TF.js weights manifest. */
export interface TfjsWeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  quantization?: {
    dtype: 'float16' | 'uint8' | 'uint16';
    scale?: number;
    min?: number;
    original_dtype?: string;
  };
  group?: string;
}

/** One group of a TF.js weights manifest: its weights are concatenated across the group's shard files. */
export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightEntry[];
}

/** The `weightsManifest` of a TF.js `model.json`. */
export type TfjsWeightsManifest = TfjsWeightGroup[];

/** A TF.js `model.json` (only the fields this library reads or writes). */
export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology?: unknown;
  weightsManifest: TfjsWeightsManifest;
  userDefinedMetadata?: Record<string, unknown>;
  [key: string]: unknown;
}
