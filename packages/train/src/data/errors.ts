import { FlexiViTError } from '@flexivit/core';

/**
 * Why a dataset could not be read. Core's error codes are fixed, so every DatasetError carries
 * code 'ARGUMENT_INVALID' and this finer `reason` to branch on.
 */
export type DatasetErrorReason =
  | 'NOT_FOUND' // folder or file missing
  | 'TRUNCATED' // fewer bytes than the header promises
  | 'CORRUPT' // bad magic, trailing bytes, inconsistent files, bad gzip
  | 'UNSUPPORTED_DTYPE' // IDX element type other than ubyte
  | 'INVALID'; // a bad argument (dataset shape, indices, options)

export class DatasetError extends FlexiViTError {
  readonly reason: DatasetErrorReason;
  constructor(reason: DatasetErrorReason, message: string, options?: { cause?: unknown }) {
    super('ARGUMENT_INVALID', message, options);
    this.reason = reason;
  }
}
