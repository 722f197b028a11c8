export { areaMatrix, bilinearMatrix, triangleMatrix } from './interpolate';
export { type Mat, kron, matmul, pinv, transpose } from './linalg';
export {
  type PatchEmbeddingResize,
  type Size2,
  patchEmbeddingMatrices,
  toSize2,
  resizePatchEmbedding,
} from './patch-embedding';
export { positionEmbeddingMatrix, resizePositionEmbedding } from './position-embedding';
