/**
 * @flexivit/core — FlexiViT for TensorFlow.js: one ViT, any patch size.
 *
 * image → tokens → encoder → Features → (a head package)
 *   image/       decode + resize + normalise any image input
 *   resize/      PI-resize of the patch embedding, position-embedding resize
 *   model/       config, params, the encoder (`FlexiViT`), loading
 *   checkpoint/  file formats (npz, safetensors, TF.js) ↔ named raw arrays
 *   mapping/     checkpoint naming (big_vision, timm, HF) ↔ our param tree
 */

// Compute-adaptive inference.
export {
  chooseOperatingPoint,
  type LatencyProfile,
  measureLatency,
  type OperatingPoint,
  type OperatingPointOptions,
  type ProfileStore,
} from './adaptive';
// Shared by the backend pickers.
export {
  type BackendChoiceOf,
  BackendUnavailableError,
  describeBackend,
  firstLine,
  restoreBackend,
  reuseBackend,
  type SkippedBackend,
} from './backend';
// Checkpoint files.
export * from './checkpoint';
export * from './errors';
// Image input.
export * from './image';
// Backend kernel fixes (called by the backend pickers).
export { registerWasmKernels } from './kernels/wasm';
// Checkpoint naming.
export {
  BIGVISION_PREFIXES,
  detectLayout,
  type HostArray,
  type Layout,
  linearKernel,
  type MapOptions,
  type MappedCheckpoint,
  mapCheckpoint,
  takeArray,
  toBigVision,
} from './mapping';
// The model.
export {
  defineConfig,
  FLEXIVIT_DEFAULTS,
  type FlexiViTConfig,
  type Gelu,
  type NormalizePreset,
  type Pool,
  VARIANTS,
  type Variant,
} from './model/config';
export { initParams, paramsFromHost, paramsToHost, seededRandom } from './model/create';
export type { Features } from './model/features';
export {
  type EncodeOptions,
  encodeTokens,
  FlexiViT,
  type ForwardOptions,
  patchify,
  validPatchSizes,
} from './model/flexivit';
export { encoderFlops } from './model/flops';
export { attention, dense, encoderBlock, gelu, layerNorm, mapPool, mlp } from './model/layers';
export { type Backbone, createFlexiViT, type LoadOptions, load, loadBackbone } from './model/load';
export {
  countParams,
  type EncoderParams,
  flattenParams,
  type ParamPath,
  paramList,
  unflattenParams,
} from './model/params';
// Fast-path matMul (plain 2-D forward and backward).
export { matMul2d } from './ops';
// Resizing.
export * from './resize';
