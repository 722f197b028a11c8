/**
 * Typed errors. Every error the library throws on bad input is a FlexiViTError with a stable `code`,
 * so callers can branch on `err.code` instead of parsing messages.
 */
export type FlexiViTErrorCode =
  | 'CHECKPOINT_TRUNCATED'
  | 'CHECKPOINT_CORRUPT'
  | 'CHECKPOINT_UNSUPPORTED_DTYPE'
  | 'CHECKPOINT_MISSING_KEY'
  | 'CHECKPOINT_SHAPE_MISMATCH'
  | 'CHECKPOINT_UNKNOWN_FORMAT'
  | 'CHECKPOINT_NOT_FOUND'
  | 'IMAGE_INVALID'
  | 'IMAGE_UNSUPPORTED_INPUT'
  | 'IMAGE_DECODER_MISSING'
  | 'PATCH_SIZE_INVALID'
  | 'CONFIG_INVALID'
  | 'ARGUMENT_INVALID'
  | 'DISPOSED';

export class FlexiViTError extends Error {
  readonly code: FlexiViTErrorCode;
  constructor(code: FlexiViTErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A checkpoint file or tree that cannot be read or does not fit the model. */
export class CheckpointError extends FlexiViTError {}

/** An image input that cannot be decoded or is of an unsupported kind. */
export class ImageInputError extends FlexiViTError {}

/** A patch size, resolution or model config that does not fit. */
export class ConfigError extends FlexiViTError {}
