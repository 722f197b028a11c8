export { areaMatrix, bilinearMatrix, triangleMatrix } from './interpolate';
export { kron, type Mat, matmul, pinv, transpose } from './linalg';
export {
  type PatchEmbeddingResize,
  patchEmbeddingMatrices,
  resizePatchEmbedding,
  type Size2,
  toSize2,
} from './patch-embedding';
export { positionEmbeddingMatrix, resizePositionEmbedding } from './position-embedding';
