/** npuquant's public API. This file only re-exports. */
export { NpuqError, type ErrorCode } from './errors';
export { Tensor, type DType, type TensorStorage } from './ir/tensor';
export { Graph, Model, Node, type Attribute, type Dim, type ValueInfo } from './ir/graph';
export { inferGraph, findUnsupportedOps } from './ir/infer';
export { loadModel, loadModelSync, saveModel, serializeModel } from './io/onnx';
export { readNpy, writeNpy, encodeNpy } from './data/npy';
export { Session, claimedOps, type SessionOptions, type RunOptions } from './runtime/session';
export { foldBatchNorm, type PassResult } from './passes/fold-batchnorm';
export { foldConvAdd, fuseHardSwish } from './passes/fuse-elementwise';
export { capabilities } from './capabilities';
export { getProfile, listProfiles, defineProfile, buildLut, type ChipProfile } from './quantize';
