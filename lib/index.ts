/** npuquant's public API. This file only re-exports. */
export { NpuqError, type ErrorCode } from './errors';
export { Tensor, type DType, type TensorStorage } from './ir/tensor';
export { Graph, Model, Node, type Attribute, type Dim, type ValueInfo } from './ir/graph';
export { inferGraph, findUnsupportedOps } from './ir/infer';
export { loadModel, loadModelSync, saveModel, serializeModel } from './io/onnx';
export { readNpy, writeNpy, encodeNpy } from './data/npy';
export {
  openDataset, loadInputConfig, validateInputConfig, validateInputConfigs, IMAGE_EXTENSIONS,
  type Dataset, type DatasetOptions, type InputConfig, type ResizeMethod, type ColorFormat, type Layout, type ImageDType,
} from './data';
export { Session, claimedOps, type SessionOptions, type RunOptions } from './runtime/session';
export { foldBatchNorm, type PassResult } from './passes/fold-batchnorm';
export { foldConvAdd, fuseHardSwish } from './passes/fuse-elementwise';
export {
  runPasses, listPasses, getPass, DEFAULT_PIPELINE, truncateGraph, extractSubgraph, truncatePass, extractPass,
  type Pass, type PassContext, type PipelineResult, type RunPassesOptions,
} from './passes';
export { capabilities } from './capabilities';
export { getProfile, listProfiles, defineProfile, buildLut, type ChipProfile } from './quantize';
export { quantize, saveQuantized, loadQuantized, type QuantizeOptions } from './quantize/quantize';
export { QuantizedModel, type QuantizedRunOptions } from './quantize/quantized-model';
export type { QuantPlan, NodeQuant, TensorQuant, QuantOverrides } from './quantize/plan/types';
export { toQdqModel } from './export/qdq';
export { collectStatistics, type TensorStats, type ObserveOptions } from './calibrate/observe';
export { calibrateRange, calibrateRanges, calibrateThreshold, autoTuneThreshold, CALIBRATION_METHODS, type CalibrationMethod } from './calibrate/methods';
