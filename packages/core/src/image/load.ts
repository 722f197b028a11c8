import * as tf from '@tensorflow/tfjs-core';
import { FlexiViTError, ImageInputError } from '../errors';
import { decodeImage } from './decode';
import { isTensor } from './guards';
import { preprocess, resolvePreprocessOptions } from './preprocess';
import type { ImageInput, PreprocessOptions } from './types';

/** Decodes in flight at once: enough to overlap sharp's thread pool, bounded so big batches stay in memory. */
const CONCURRENCY = 4;

/** Tags a failure with the index of the input it came from, keeping its code. */
function atIndex(err: unknown, index: number, count: number): unknown {
  if (count === 1 || !(err instanceof FlexiViTError)) return err;
  return new ImageInputError(err.code, `inputs[${index}]: ${err.message}`, { cause: err });
}

async function loadOne(input: ImageInput, opts: PreprocessOptions): Promise<tf.Tensor4D> {
  // Tensors go straight to preprocess: a Tensor4D is an already-batched pixel tensor.
  if (isTensor(input)) return preprocess(input as tf.Tensor3D | tf.Tensor4D, opts);
  const pixels = await decodeImage(input);
  try {
    return preprocess(pixels, opts);
  } finally {
    pixels.dispose();
  }
}

/**
 * Decodes, preprocesses and stacks images into one float32 NHWC batch `[N, H, W, 3]`. Inputs are never disposed;
 * every intermediate tensor is, also when an input fails (then the first failure is thrown).
 */
export async function loadImages(
  inputs: ImageInput | readonly ImageInput[],
  opts: PreprocessOptions,
): Promise<tf.Tensor4D> {
  const list: readonly ImageInput[] = Array.isArray(inputs) ? inputs : [inputs as ImageInput];
  if (list.length === 0) {
    throw new ImageInputError('ARGUMENT_INVALID', 'loadImages got an empty list; pass at least one image.');
  }
  // Fail on bad options before any decoding work.
  resolvePreprocessOptions(opts);

  const batches: (tf.Tensor4D | undefined)[] = new Array(list.length).fill(undefined);
  let failure: { error: unknown } | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < list.length) {
      const i = next++;
      try {
        batches[i] = await loadOne(list[i], opts);
      } catch (err) {
        failure ??= { error: atIndex(err, i, list.length) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, list.length) }, worker));

  const done = batches.filter((b): b is tf.Tensor4D => b !== undefined);
  if (failure !== undefined) {
    tf.dispose(done);
    throw failure.error;
  }
  if (done.length === 1) return done[0];
  try {
    return tf.concat(done, 0);
  } finally {
    tf.dispose(done);
  }
}
