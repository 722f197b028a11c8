/** dtypes a checkpoint file may store; floats are always decoded to Float32Array. */
export type StoredDType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';

/** One named array as read from a checkpoint file, before any mapping to model params. */
export interface RawArray {
  /** The dtype the file stored (floats are decoded to float32 in `data`). */
  dtype: StoredDType;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** A checkpoint as read: flat names (`/`- or `.`-joined, as the file has them) to arrays. */
export type RawCheckpoint = Map<string, RawArray>;
