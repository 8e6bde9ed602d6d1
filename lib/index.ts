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
export { quantize, saveQuantized, loadQuantized, type QuantizeOptions, type OptimizeSetting } from './quantize/quantize';
export {
  crossLayerEqualization, CLE_PASS, smoothQuant, applySmoothQuant, correctBiases, adaRound,
  type CleOptions, type SmoothQuantOptions, type BiasCorrectionMode, type AdaRoundOptions, type PtqOptions, type PtqStep,
} from './ptq';
export { QuantizedModel, type QuantizedRunOptions } from './quantize/quantized-model';
export type { QuantPlan, NodeQuant, TensorQuant, QuantOverrides } from './quantize/plan/types';
export { toQdqModel } from './export/qdq';
export { collectStatistics, type TensorStats, type ObserveOptions } from './calibrate/observe';
export { calibrateRange, calibrateRanges, calibrateThreshold, autoTuneThreshold, CALIBRATION_METHODS, type CalibrationMethod } from './calibrate/methods';
export {
  writeReports, reportFileName, renderJson, renderTxt, renderMd, renderCsv, renderHtml, REPORT_FORMATS, compareArrays,
  type ReportFormat, type WriteReportsOptions, type CompareOptions, type CompareResult, type CompareFailure,
} from './report';
export { analyze, type AnalyzeOptions } from './analyze/analyze';
export { DEFAULT_THRESHOLDS, THRESHOLD_MEANING } from './analyze/guidance';
export type { Analysis, LayerAnalysis, OutputAnalysis, ErrorMetrics, Thresholds, Suggestion, Flag, WeightStats, OutlierRow } from './analyze/types';
export * as hybrid from './hybrid/index';
