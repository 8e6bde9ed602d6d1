/** Graph passes: the pass contract, the registry and pipelines, and every pass. This file only re-exports. */
export type { Pass, PassContext, PassResult } from './pass';
export { runPasses, listPasses, getPass, DEFAULT_PIPELINE, type PipelineResult, type RunPassesOptions } from './pipeline';
export { constantFold, eliminateDeadCode, removeIdentity } from './cleanup';
export { foldBatchNorm } from './fold-batchnorm';
export { foldConvAdd, foldConvInputAffine } from './fold-conv-affine';
export { fuseHardSwish, matchHardSwish } from './hardswish';
export { divToMul } from './div-to-mul';
export { foldChannelSwap } from './channel-swap';
export { cancelTransposes } from './transpose';
export { convStrideToSlice } from './conv-stride';
export { truncateGraph, extractSubgraph, truncatePass, extractPass } from './cut';
