/**
 * The analysis object: what analyze() measures, and the single source every report format is written
 * from (lib/report). Plain JSON data; `analysis.json` is this object as is (schema `npuquant.analysis/1`,
 * documented in the README).
 *
 * Vocabulary. For a quantized tensor T (the output of a layer):
 *  - float: T computed by the float model;
 *  - cumulative: T computed by the quantized model fed with the sample (errors of every earlier layer
 *    accumulate; RKNN "entire", Pulsar2 "EndToEnd", PPQ graphwise);
 *  - individual: T computed by the quantized layer alone, fed with the float values of its inputs
 *    quantized to the layer's input parameters (RKNN "single", Pulsar2 "PerLayer").
 * Both are dequantized and compared with float.
 */

/** Error of a quantized tensor against its float value, accumulated over every sample. */
export interface ErrorMetrics {
  /**
   * Cosine similarity, the mean over samples (items of the batch axis) of each sample's cosine
   * `Σfq / (||f|| ||q||)`. 1 when both are all zeros, 0 when only one is. Higher is better.
   */
  cosine: number;
  /**
   * SQNR in dB, TPU-MLIR's definition: `10·log10(var(f) / var(q − f))` over all samples' elements.
   * Null when the noise is zero (+Infinity); -Infinity (null in JSON) when the float values are
   * constant but the quantized ones are not. Higher is better.
   */
  sqnr_db: number | null;
  /** PPQ's noise:signal power ratio `Σ(q − f)² / Σf²` over all samples' elements. Lower is better. */
  noise_signal_ratio: number;
  /** Mean squared error over all elements. */
  mse: number;
  /** Largest |q − f| over all elements. */
  max_abs: number;
  /** Euclidean distance ||q − f||, the mean over samples. */
  euclidean: number;
}

/** A 32-bin histogram over [lo, hi]; values outside count in the end bins. */
export interface Histogram {
  lo: number;
  hi: number;
  counts: number[];
}

/** Value range and histogram of one version (float or quantized) of a tensor over all samples. */
export interface ValueStats {
  min: number;
  max: number;
  histogram: Histogram;
}

/** Why a layer is flagged and what to do about it. */
export interface Flag {
  /** Machine-readable reason: `individual_cosine`, `noise_signal`, `cumulative_drop`, `outliers`, `weight_range`. */
  code: string;
  /** One sentence naming the measured value and the threshold, e.g. "individual cosine 0.962 < 0.99". */
  reason: string;
  /** The action suggested, e.g. "run this layer in int16". */
  action: string;
}

export interface LayerAnalysis {
  /** Node name in the (optimized) float graph. */
  name: string;
  op: string;
  /** Output tensor compared (the node's first output; for a node with a fused Relu/Clip, the activation's output). */
  output: string;
  /** Output shape of the first sample batch. */
  shape: number[];
  /** Quantized type of the output (`int8`, `uint8`, `int16`, ...) or the float precision the layer runs in. */
  dtype: string;
  /** How the layer runs: `integer`, `lut`, `float`, `keep_float`, ... (NodeQuant.execution). */
  execution: string;
  /** Position in topological order (0-based). */
  index: number;
  /** Float tensors the layer reads (constants left out). */
  inputs?: string[];
  /** Null for layers that run in float (no quantization error of their own). */
  individual: ErrorMetrics | null;
  cumulative: ErrorMetrics;
  float: ValueStats;
  quantized: ValueStats;
  /**
   * Cumulative-cosine drop at this layer: the layer's cumulative cosine subtracted from the lowest
   * cumulative cosine of its quantized inputs' producers (1 for graph inputs). Positive = the layer
   * lost accuracy.
   */
  cumulative_drop: number;
  flags: Flag[];
}

export interface TopKEntry {
  index: number;
  score: number;
}

export interface OutputAnalysis {
  name: string;
  shape: number[];
  cosine: number;
  sqnr_db: number | null;
  noise_signal_ratio: number;
  mse: number;
  max_abs: number;
  /** For outputs with a class axis (last axis of size > 1): share of samples whose float and quantized top-1 agree. */
  top1_agreement?: number;
  /** Share of samples whose float top-1 is within the quantized top-5. */
  top5_agreement?: number;
  /** The top-5 of float and quantized for the first samples (at most `topKSamples`, default 5). */
  top5?: { sample: number; float: TopKEntry[]; quantized: TopKEntry[] }[];
}

/** Per-channel statistics of a constant weight (output channels on axis 0). */
export interface WeightStats {
  layer: string;
  tensor: string;
  channels: number;
  min: number;
  max: number;
  /** max |w| of the largest channel and the median channel, and their ratio (large ratio: per-tensor int8 loses the small channels). */
  channel_absmax_max: number;
  channel_absmax_median: number;
  ratio: number;
}

/**
 * Pulsar2's outlier table for one activation tensor: with m = max|x| of the tensor and m_c of channel
 * c (axis 1), the level of c is log2(m / m_c); the shares of channels at level >= 3, 4, 5, 6, and the
 * share of sparse channels (m_c = 0, or every value of the channel zero).
 */
export interface OutlierRow {
  tensor: string;
  layer: string;
  channels: number;
  level3: number;
  level4: number;
  level5: number;
  level6: number;
  sparse: number;
}

/** The thresholds flags are decided with; each is written into the reports with its meaning. */
export interface Thresholds {
  /** Flag when the individual cosine is below this. Default 0.99. */
  individualCosine: number;
  /** Flag when the individual noise:signal ratio is above this. Default 0.1 (about 10 dB). */
  noiseSignal: number;
  /** Flag when the cumulative cosine drops by more than this at one layer. Default 0.01. */
  cumulativeDrop: number;
  /** Flag outliers when this share of channels is at level >= 5. Default 0.05. */
  outlierShare: number;
  /** Flag weights when the max-channel / median-channel ratio is above this (per-tensor weights only). Default 8. */
  weightRatio: number;
}

/** A layer suggested for higher precision (the input of hybrid step 1). */
export interface Suggestion {
  name: string;
  reason: string;
  action: string;
  /** Precision suggested for the layer, when raising it is the action. */
  precision?: string;
}

export interface Analysis {
  schema: 'npuquant.analysis/1';
  /** Model file name or graph name. */
  model: string;
  target: string;
  /** Samples compared (items of the batch axis over all batches). */
  samples: number;
  calibration: { method: string; perChannel: boolean };
  thresholds: Thresholds;
  /** One entry per quantized or float-run layer, in topological order. */
  layers: LayerAnalysis[];
  outputs: OutputAnalysis[];
  weights: WeightStats[];
  /** One row per activation, except data-movement layers that share their source's sums (ProbedLayer.moves). */
  outliers: OutlierRow[];
  /** Flagged layers, worst first. */
  suggestions: Suggestion[];
  /** The mixed-precision search, when hybrid step 1 ran one: the trade-off curve and the chosen layers. */
  search?: import('../hybrid/search').SearchResult;
  /** Wall time of the analysis and of one plain float pass over the same data (ms). */
  timing: { analysis_ms: number; float_pass_ms?: number };
  created: string;
}
