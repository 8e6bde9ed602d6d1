/**
 * The chip profile: everything that decides, for one target, how a float model is quantized and how
 * the integers are computed. A profile is plain data plus two small optional hooks (DESIGN.md habit 9),
 * so it can be written as JSON, diffed, exported and validated. Built-in profiles live in
 * `targets/`; users derive their own with `defineProfile({ extends: 'rk3588', ... })`.
 *
 * Every default stated below is the value `defineProfile` fills in when neither the input nor its
 * `extends` base sets the field (they are the onnxruntime QDQ conventions).
 */

/**
 * The ten rounding modes of `native/include/npuq/rounding.h` (`npuq::Round`), in enum order: the
 * index of a name in {@link ROUNDING_MODES} is the native enum value. Same set as TPU-MLIR's
 * `RoundingMode` (include/tpu_mlir/Support/MathUtils.h).
 */
export type RoundingMode =
  | 'half_away_from_zero' | 'half_up' | 'half_down' | 'half_to_even' | 'half_to_odd'
  | 'half_toward_zero' | 'toward_zero' | 'away_from_zero' | 'ceil' | 'floor';

/** All rounding modes, index = `npuq::Round` value. */
export const ROUNDING_MODES: readonly RoundingMode[] = [
  'half_away_from_zero', 'half_up', 'half_down', 'half_to_even', 'half_to_odd',
  'half_toward_zero', 'toward_zero', 'away_from_zero', 'ceil', 'floor',
];

/**
 * How an integer accumulator becomes an output integer: the names of `npuq::RequantMethod`
 * (native/include/npuq/qkernels.h), index in {@link REQUANT_METHODS} = native enum value.
 * - `float_scale`: float32 `acc * scale`, rounded per `rounding.requant` (onnxruntime MLAS, ncnn).
 * - `fixed_point_double`: gemmlowp/TFLite `MultiplyByQuantizedMultiplier` (two roundings).
 * - `fixed_point_single`: ruy / TFLITE_SINGLE_ROUNDING (one rounding, ties up).
 * - `multiplier_shift`: TPU-MLIR `RightShiftRound(acc * m, rshift, mode)` (BM1684X).
 * - `multiplier_shift_float`: CV18xx `to_int(acc * m / 2^rshift)` in float.
 * - `shift_only`: TPU-MLIR `OnlyShift`, power-of-two ratio (BM1684, dynamic fixed point).
 */
export type RequantMethod =
  | 'float_scale' | 'fixed_point_double' | 'fixed_point_single'
  | 'multiplier_shift' | 'multiplier_shift_float' | 'shift_only';

/** All requant methods, index = `npuq::RequantMethod` value. */
export const REQUANT_METHODS: readonly RequantMethod[] = [
  'float_scale', 'fixed_point_double', 'fixed_point_single', 'multiplier_shift', 'multiplier_shift_float', 'shift_only',
];

/** Integer types an activation tensor may use. */
export type ActivationDType = 'uint8' | 'int8' | 'uint16' | 'int16';
/** Integer types a weight tensor may use. */
export type WeightDType = 'int8' | 'uint8' | 'int16';
/** Storage of a bias: integer in accumulator units (scale s_in * s_w), or kept float. int16 is BM1684's. */
export type BiasDType = 'int32' | 'int64' | 'int16' | 'float32';
/** Per-layer precisions hybrid (mixed-precision) quantization may choose. */
export type Precision = 'int8' | 'uint8' | 'int16' | 'uint16' | 'float16' | 'bfloat16' | 'float32';

/**
 * How an op type executes on the chip.
 * - `integer`: integer kernel (accumulate, requantize); data movement ops copy integers.
 * - `lut`: 256- or 65536-entry lookup table on quantized values (Sigmoid, Tanh, ... on NPUs).
 * - `float`: dequantize, run the float op, requantize the output.
 * - `float16` / `bfloat16`: as `float`, in that half precision.
 * - `keep_float`: left out of quantization: float tensors in and out, no quantize around it
 *   (onnxruntime ops outside its QDQ registry, ncnn layers without int8 kernels).
 */
export type OpExecution = 'integer' | 'lut' | 'float' | 'float16' | 'bfloat16' | 'keep_float';

/**
 * Which convention turns a symmetric range |x| <= absmax into a scale.
 * - `qmax`: `absmax / qmax` (TFLite, TPU-MLIR `threshold / 127`, ncnn `127 / absmax`).
 * - `levels`: `2 * absmax / (qmax - qmin)` over the (possibly narrowed) integer range (PPQ
 *   range.py; onnxruntime compute_scale_zp). With a narrow range (±127) both give `absmax / 127`;
 *   they differ on a full range: PPQ int8 gives `absmax / 127.5`.
 */
export type SymmetricScale = 'qmax' | 'levels';

/** Scale constraints of one tensor role. */
export interface ScaleSpec {
  /**
   * - `float`: any positive float scale.
   * - `power_of_two`: the computed scale is rounded to `2^round(log2 s)` with `log2Rounding`.
   * - `dfp`: dynamic fixed point: `scale = 2^-fl`, `fl = (bits - 1) - ceil(log2 absmax)` (Acuity
   *   `dynamic_fixed_point-i8/i16`); symmetric signed types only.
   * Default `'float'`.
   */
  kind: 'float' | 'power_of_two' | 'dfp';
  /** For `power_of_two`: how `log2(scale)` is rounded. PPQ rounds up (`ceil`). Default `'ceil'`. */
  log2Rounding: RoundingMode;
  /** Scales below this are raised to it (PPQ OBSERVER_MIN_SCALE 1e-8; TPU-MLIR weights 1e-5). 0 = none. Default 0. */
  minScale: number;
  /** The float range is widened to at least this width: `max = max(max, min + minRange)` (SNPE tf 0.01). Default 0. */
  minRange: number;
  /**
   * Widen `[min, max]` to contain 0 and round the zero point so real 0 is exactly representable
   * (PPQ range.py, onnxruntime compute_scale_zp, SNPE tf). When false the range is used as is and
   * an out-of-range zero point is nudged to qmin/qmax with the scale recomputed (TPU-MLIR).
   * Default true.
   */
  exactZero: boolean;
}

/** Quantization of activation tensors (always per tensor). */
export interface ActivationSpec {
  /** Default activation type. Default `'uint8'`. */
  dtype: ActivationDType;
  /** Every activation type the chip supports (hybrid quantization may pick among them). Default `[dtype]`. */
  allowed: ActivationDType[];
  /** Symmetric (zero point 0) rather than asymmetric. Default false. */
  symmetric: boolean;
  /** Symmetric signed tensors use `[-qmax, qmax]` (±127) instead of `[-qmax-1, qmax]`. Default false. */
  narrowRange: boolean;
  /** Scale convention for symmetric tensors. Default `'levels'`. */
  symmetricScale: SymmetricScale;
  /**
   * A symmetric tensor whose calibrated min is >= 0 uses the unsigned type of the same width and
   * `threshold / 255` (TPU-MLIR `getQuantInt8Type`, `getScale(threshold, sign)`). Default false.
   */
  unsignedWhenNonNegative: boolean;
  /**
   * Which tensors are quantized: `all` (every tensor between quantized ops) or `integer_op_inputs`
   * (only inputs of integer ops; their outputs are dequantized to float, as ncnn does: PPQ
   * NCNNQuantizer "ncnn only needs inputs fixed point"). Default `'all'`.
   */
  quantizedTensors: 'all' | 'integer_op_inputs';
  /** Scale constraints. */
  scale: ScaleSpec;
}

/** The parts of a weight spec an op type may override. */
export type WeightOverride = Partial<Omit<WeightSpec, 'byOp' | 'allowed'>>;

/** Quantization of constant weights (Conv, ConvTranspose, Gemm, MatMul with a constant B). */
export interface WeightSpec {
  /** Default weight type. Default `'int8'`. */
  dtype: WeightDType;
  /** Every weight type the chip supports. Default `[dtype]`. */
  allowed: WeightDType[];
  /** Symmetric weights (zero point 0). Default true. */
  symmetric: boolean;
  /** Symmetric signed weights use ±127 (not -128..127). Default true. */
  narrowRange: boolean;
  /** Scale convention for symmetric weights. Default `'levels'`. */
  symmetricScale: SymmetricScale;
  /** onnxruntime `reduce_range`: 7-bit weights, int8 `[-64, 64]`, uint8 `[0, 127]`. Default false. */
  reduceRange: boolean;
  /** One scale per output channel, or one per tensor. Default `'per_tensor'`. */
  granularity: 'per_tensor' | 'per_channel';
  /**
   * Weight scales derived from the activations' scales so requantization is exact:
   * - `shift`: `s_w = s_out / (s_in * 2^rshift)` with TPU-MLIR `calRightShiftNum` (BM1684 OnlyShift);
   * - `multiplier`: `s_w = (M / 2^(31 + rshift)) * s_out / s_in` after QuantizeMultiplier of the
   *   per-channel `absmax * s_in / (127 * s_out)` (CV18xx QDM);
   * - `none`: from the weights' own range. Default `'none'`.
   */
  fitToRequant: 'none' | 'shift' | 'multiplier';
  /** Scale constraints. */
  scale: ScaleSpec;
  /**
   * Overrides per ONNX op type, e.g. SpacemiT K1 `Gemm: { granularity: 'per_tensor', scale: { kind:
   * 'power_of_two' } }`. Merged over the fields above. Default `{}`.
   */
  byOp: Record<string, WeightOverride>;
}

/** Bias handling. */
export interface BiasSpec {
  /**
   * `int32`: integer in accumulator units (scale `s_in * s_w`); `int64`: the same for 16-bit
   * activations (TFLite 16x8); `int16`: BM1684's 16-bit bias (scale `2^rshift / s_out`);
   * `float32`: kept float and added after dequantization (needs `requant.dequantizeFirst`).
   * Default `'int32'`.
   */
  dtype: BiasDType;
}

/** Rounding of each step. */
export interface RoundingSpec {
  /** Quantizing float activations (graph inputs, float→int boundaries). Default `'half_to_even'` (ONNX QuantizeLinear). */
  input: RoundingMode;
  /** Quantizing weights. Default `'half_to_even'`. */
  weight: RoundingMode;
  /** Quantizing an integer bias. Default `'half_to_even'`. */
  bias: RoundingMode;
  /** Rounding the zero point `qmin - min / scale`. Default `'half_to_even'`. */
  zeroPoint: RoundingMode;
  /**
   * Requantization. Used by `float_scale`, `multiplier_shift`, `multiplier_shift_float`, `shift_only`;
   * fixed at `half_away_from_zero` for `fixed_point_double` (RoundingDivideByPOT) and `half_up` for
   * `fixed_point_single` (validation enforces it). Default `'half_to_even'`.
   */
  requant: RoundingMode;
}

/** Requantization of accumulators (Conv, Gemm, MatMul). */
export interface RequantSpec {
  /** Default `'float_scale'`. */
  method: RequantMethod;
  /** Multiplier width: 32 for gemmlowp/QDM and TPU-MLIR int32 multipliers, 8 for TPU-MLIR eltwise. Default 32. */
  multiplierBits: number;
  /**
   * The accumulator is dequantized to float first (`acc * s_in * s_w + bias`), the fused activation
   * applied in float, then quantized with `1 / s_out`: two float32 multiplies (ncnn; float bias). Default false.
   */
  dequantizeFirst: boolean;
  /**
   * With `dequantizeFirst`: the chip stores reciprocal scales `r = 1 / s` (ncnn's `127 / absmax`
   * tables) and computes with them: the dequantization factor is `1 / (r_in * r_w)`, and every
   * quantization (graph inputs, layer outputs) is `round(v * r)` instead of `round(v / s)`. Each step
   * in float32. Default false.
   */
  reciprocalScales: boolean;
}

/** Rescaling of Add/Sub/Mul with two quantized inputs. */
export interface EltwiseSpec {
  /**
   * - `float`: real values computed in float, then quantized (onnxruntime QLinearAdd, QDQ).
   * - `tflite`: TFLite fixed point: inputs left-shifted by `leftShift`, per-input QuantizeMultiplier.
   * - `multiplier_shift`: TPU-MLIR: per-input `multiplierBits` multiplier and right shift.
   * - `multiplier_shift_float`: the CV18xx variant computed in float.
   * - `mlas`: onnxruntime's fused QLinearAdd/QLinearMul on x64 (MLAS: float32 scale ratios, fused
   *   multiply-adds, the output zero point added before rounding); Sub as `float`.
   * - `multiplier_shift_bm1684`: BM1684: per-input right shift from `calRightShiftNum`, then an 8-bit
   *   multiplier; Mul as `multiplier_shift` with its shift clamped to [0, 31].
   * Default `'float'`.
   */
  style: 'float' | 'mlas' | 'tflite' | 'multiplier_shift' | 'multiplier_shift_bm1684' | 'multiplier_shift_float';
  /** `tflite` left shift: 20 for 8-bit, 15 for 16-bit. Default 20. */
  leftShift: number;
  /** Multiplier width for `multiplier_shift*`. Default 8. */
  multiplierBits: number;
}

/** How op types execute. */
export interface OpsSpec {
  /** Execution of op types not listed in `byOp`. Default `'integer'`. */
  default: OpExecution;
  /** Per ONNX op type. Default `{}`. */
  byOp: Record<string, OpExecution>;
}

/** Calibration defaults of the vendor tool. */
export interface CalibrationSpec {
  /** Default `'minmax'`. */
  method: 'minmax' | 'percentile' | 'kl' | 'mse';
  /** Percentile in percent (PPQ 0.9999 is 99.99 here; onnxruntime 99.999). Default 99.999. */
  percentile: number;
  /** Histogram bins for percentile/kl/mse. Default 2048. */
  bins: number;
  /** Moving-average constant of minmax, 0 = off (0.01 in RKNN-Toolkit1 and onnxruntime when on). Default 0. */
  movingAverage: number;
}

/** Hybrid (mixed-precision) quantization. */
export interface HybridSpec {
  /** Precisions a layer may be given. Default `['uint8', 'int8', 'float32']`. */
  precisions: Precision[];
  /** Vendor spelling of each precision in its config file (`'dynamic_fixed_point-i16'`, `'F16'`). Default `{}`. */
  vendorNames: Partial<Record<Precision, string>>;
}

/** A public source a profile cites. */
export interface Source {
  /** Short id used by claims, e.g. `'tpu-mlir-mathutils'`. */
  id: string;
  /** What it is. */
  title: string;
  /** Where it is (a URL, or a path in this repository for the reference notes). */
  url: string;
}

/** Provenance of one field: read in a source, or inferred. */
export interface Claim {
  /** Dotted path of the field, e.g. `'weights.byOp.Gemm.scale.kind'`. */
  path: string;
  /** `source`: read in the cited sources; `inferred`: documented vendor behaviour or a best guess (see note). */
  verified: 'source' | 'inferred';
  /** Ids of entries of `sources`. */
  sources: string[];
  /** Why, for inferred claims (required for them). */
  note?: string;
}

/** An activation op considered for fusion into its producer's requant clamp. */
export interface ActivationNode {
  opType: string;
  /** Clip bounds (Relu: min 0, no max). */
  min?: number;
  max?: number;
}

/** A node whose execution a hook may decide. */
export interface OpNode {
  opType: string;
  attributes: Readonly<Record<string, unknown>>;
}

/** Small optional hooks for decisions data cannot express. Not expressible in JSON. */
export interface ProfileHooks {
  /** Called for an op type listed in `fusedActivations`; false keeps it a separate op. Default: fuse. */
  fuseActivation?: (act: ActivationNode) => boolean;
  /** Overrides `ops` for one node; undefined falls back to `ops`. */
  opExecution?: (op: OpNode) => OpExecution | undefined;
}

/** A complete, validated chip profile. Built-in ones are deeply frozen. */
export interface ChipProfile {
  /** Registry name, e.g. `'rk3588-w8a16'`. */
  name: string;
  /** One line for listings. */
  description: string;
  /** Chip vendor. Default `''`. */
  vendor: string;
  /** Vendor toolkit whose behaviour this emulates. Default `''`. */
  toolkit: string;
  /** The vendor's own name of this scheme (`'asymmetric_affine-u8'`, `'w8a8'`). Default `''`. */
  vendorDtype: string;
  /** Name of the profile this one extends, `''` if none. */
  base: string;
  activation: ActivationSpec;
  weights: WeightSpec;
  bias: BiasSpec;
  rounding: RoundingSpec;
  requant: RequantSpec;
  eltwise: EltwiseSpec;
  ops: OpsSpec;
  /** Activation op types that fuse into the producer's requant clamp. Default `['Relu', 'Clip']`. */
  fusedActivations: string[];
  calibration: CalibrationSpec;
  hybrid: HybridSpec;
  /** Cited sources. Default `[]`. */
  sources: Source[];
  /** Provenance per field; inherited from the base and overridden by path. Default `[]`. */
  claims: Claim[];
  /** Facts not modelled by fields. Default `[]`. */
  notes: string[];
  /** Optional hooks. Default `{}`. */
  hooks: ProfileHooks;
}

/** Recursively optional, arrays replaced whole. */
export type DeepPartial<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? U[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/**
 * What `defineProfile` accepts: any subset of a profile plus `name`, an optional `extends` (a built-in
 * profile name) and sources given as catalog ids or full objects.
 */
export type ProfileInput = Omit<DeepPartial<ChipProfile>, 'sources' | 'base' | 'hooks'> & {
  name: string;
  extends?: string;
  sources?: (string | Source)[];
  hooks?: ProfileHooks;
};
