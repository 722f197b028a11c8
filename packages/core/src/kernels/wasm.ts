/**
 * Kernel overrides for `@tensorflow/tfjs-backend-wasm` 4.22. Its Slice kernel copies the whole
 * input out of the wasm heap (`readSync`) for every slice, so cutting a tensor into k pieces costs
 * k × its size: 512 attention blocks took ~2.5 s per split here. These versions read the input
 * through a heap view instead, so a slice costs only what it copies. Same results, same names.
 */
import * as tf from '@tensorflow/tfjs-core';

// The parts of the wasm backend these kernels use (duck-typed: model code never imports a backend).
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: unknown };

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Copy x[begin : begin + size] into a new output, reading x through a heap view. */
function sliceFromHeap(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // Views only after makeOutput: allocating may grow (and so detach) the heap.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = size.length;
  const xs = strides(x.shape);
  if (rank === 0 || dst.length === 0) return out;
  const run = size[rank - 1];
  const rows = dst.length / run;
  const idx = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let offset = begin[rank - 1];
    for (let d = 0; d < rank - 1; d++) offset += (begin[d] + idx[d]) * xs[d];
    dst.set(src.subarray(offset, offset + run), r * run);
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d] < size[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

let registered = false;

/**
 * Replace the wasm backend's Slice and SplitV kernels with heap-view versions. Call after the wasm
 * backend is registered (the backend pickers do); idempotent; strings keep the original kernels.
 */
export function registerWasmKernels(): boolean {
  if (registered) return true;
  const slice = tf.getKernel('Slice', 'wasm');
  const splitV = tf.getKernel('SplitV', 'wasm');
  if (!slice || !splitV) return false;
  const fastSlice = (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return slice.kernelFunc(args as never);
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.Tensor,
      args.attrs.begin as number[],
      args.attrs.size as number[],
    );
    return sliceFromHeap(args.backend as WasmBackendLike, x, begin, size);
  };
  const fastSplitV = (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return splitV.kernelFunc(args as never);
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(
      x as tf.Tensor,
      args.attrs.numOrSizeSplits as number[],
      axis,
    );
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[axis] = s;
      const piece = sliceFromHeap(args.backend as WasmBackendLike, x, begin, size);
      begin[axis] += s;
      return piece;
    });
  };
  tf.unregisterKernel('Slice', 'wasm');
  tf.unregisterKernel('SplitV', 'wasm');
  tf.registerKernel({
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: fastSlice as unknown as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: 'SplitV',
    backendName: 'wasm',
    kernelFunc: fastSplitV as unknown as tf.KernelFunc,
  });
  registered = true;
  return true;
}
