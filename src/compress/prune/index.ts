/** Pruning: magnitude (unstructured), compact sparse storage, structured (heads, neurons). */
export {
  type BitmaskEncoding,
  decodeBitmask,
  encodeBitmask,
} from './bitmask.js';
export {
  type MagnitudePruneOptions,
  type MagnitudePruneReport,
  type MagnitudePruneResult,
  magnitudePrune,
  type PrunedTensor,
  type WeightRole,
} from './magnitude.js';
export type { NameFilter, NamePattern } from './patterns.js';
export { decodeSparseWeights } from './sparse-decode.js';
export {
  type EncodedTensor,
  type EncodeSparseOptions,
  type EncodeSparseReport,
  type EncodeSparseResult,
  encodeSparseWeights,
} from './sparse-encode.js';
export {
  type StructuredBlockReport,
  type StructuredPruneOptions,
  type StructuredPruneReport,
  type StructuredPruneResult,
  structuredPrune,
} from './structured/prune.js';
export { sharedStructuredScores } from './structured/shared-choice.js';
export { magnitudeMasks, type PruneScope } from './threshold.js';
