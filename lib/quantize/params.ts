/**
 * Quantization parameters from float ranges, per profile: the pure functions the quantizer uses to
 * turn calibrated ranges into (dtype, scale, zero point), and biases into integers. Requantization
 * parameters (multipliers and shifts) are in requant-params.ts and re-exported here.
 *
 * Conventions, per source:
 * - asymmetric: range widened to contain 0, `scale = (max - min) / (qmax - qmin)`,
 *   `zp = round(qmin - min / scale)` (PPQ range.py writes `round(-min / scale)` for u8; onnxruntime
 *   compute_scale_zp and TPU-MLIR getScaleAndZeroPoint the qmin form; equal for every even qmin);
 * - symmetric `levels` (PPQ, onnxruntime): `2 * absmax / (qmax - qmin)`; `qmax` (TFLite, TPU-MLIR,
 *   ncnn): `absmax / qmax`;
 * - power of two: `2^round(log2 scale)` with the profile's log2 rounding (PPQ rounds up), applied after
 *   the zero point is computed, as PPQ does;
 * - dynamic fixed point: `scale = 2^-fl`, `fl = (bits - 1) - ceil(log2 absmax)` ([unverified] in the
 *   reference notes for Acuity);
 * - a scale below the float32 minimum normal (an all-zero range) becomes 1 with zero point 0
 *   (onnxruntime). Returned scales are float32 values, as ONNX and vendor files store them.
 */
import { NpuqError } from '../errors';
import { resolveWeightSpec } from './define';
import type { ActivationDType, BiasDType, ChipProfile, RoundingMode, ScaleSpec, SymmetricScale, WeightDType, WeightSpec } from './profile';
import { fitMultiplierWeightScale, fitShiftWeightScale } from './requant-params';
import { frexp, roundMode } from './rounding';

export * from './requant-params';

/** Any quantized tensor type. */
export type QuantDType = ActivationDType | WeightDType;

/** A calibrated float range. */
export interface FloatRange {
  min: number;
  max: number;
}

/** An inclusive integer range. */
export interface IntRange {
  qmin: number;
  qmax: number;
}

/** What computeQuantParams needs of a role (ActivationSpec and resolved WeightSpec both fit). */
export interface RoleSpec {
  dtype: QuantDType;
  symmetric: boolean;
  narrowRange: boolean;
  symmetricScale: SymmetricScale;
  scale: ScaleSpec;
  /** See ActivationSpec.unsignedWhenNonNegative. Default false. */
  unsignedWhenNonNegative?: boolean;
  /** See WeightSpec.reduceRange. Default false. */
  reduceRange?: boolean;
  /**
   * Bits of the integer range when narrower than the type (low-bit weights in 8-bit containers,
   * quantize()'s `weightBits`): int8 with 4 bits is [-8, 7] ([-7, 7] narrow), uint8 [0, 15].
   * Replaces reduceRange. Default: the type's bits.
   */
  bits?: number;
}

/** Quantization parameters of one tensor (or one channel). */
export interface QuantParams {
  /** May differ from the spec's dtype (unsignedWhenNonNegative). */
  dtype: QuantDType;
  scale: number;
  zeroPoint: number;
  qmin: number;
  qmax: number;
  /** For power_of_two and dfp scales: `scale = 2^exponent` (dfp `fl = -exponent`). */
  exponent?: number;
  /**
   * For weights fitted to the requant (BM1684 shift, CV18xx multiplier): the vendor quantizes
   * `q = round(w * weightFactor)` with this float32 factor (≈ 1 / scale), and requantizes with
   * `rshift` (and `multiplier`).
   */
  fit?: { weightFactor: number; rshift: number; multiplier?: number };
}

const FLT_MIN = 1.1754943508222875e-38;

function bad(message: string): never {
  throw new NpuqError('INVALID_ARGUMENT', message);
}

/** Bits of a type. */
export function dtypeBits(d: QuantDType): number {
  return d === 'uint8' || d === 'int8' ? 8 : 16;
}

/** Whether a type is signed. */
export function isSigned(d: QuantDType): boolean {
  return d === 'int8' || d === 'int16';
}

/**
 * The integer range of a type: full (`int8` -128..127), narrow (signed ±qmax), or onnxruntime's
 * reduce_range (int8 [-64, 64], uint8 [0, 127]; 16-bit types unaffected). `bits` narrows it to that
 * many bits (never wider than the type) and replaces reduce_range.
 */
export function integerRange(d: QuantDType, opts: { narrow?: boolean; reduceRange?: boolean; bits?: number } = {}): IntRange {
  const bits = opts.bits !== undefined ? Math.min(opts.bits, dtypeBits(d)) : dtypeBits(d);
  if (opts.reduceRange && opts.bits === undefined && bits === 8) return isSigned(d) ? { qmin: -64, qmax: 64 } : { qmin: 0, qmax: 127 };
  if (!isSigned(d)) return { qmin: 0, qmax: 2 ** bits - 1 };
  const qmax = 2 ** (bits - 1) - 1;
  return { qmin: opts.narrow ? -qmax : -qmax - 1, qmax };
}

/** `ceil(log2 x)` exactly for x > 0. */
export function ceilLog2(x: number): number {
  const [q, e] = frexp(x);
  return q === 0.5 ? e - 1 : e;
}

/** `log2 s` rounded per mode, exact for powers of two and for ceil/floor. */
export function roundLog2(s: number, mode: RoundingMode): number {
  const [q, e] = frexp(s);
  if (q === 0.5) return e - 1;
  if (mode === 'ceil') return e;
  if (mode === 'floor') return e - 1;
  return roundMode(Math.log2(s), mode);
}

function unsignedOf(d: QuantDType): QuantDType {
  return d === 'int8' ? 'uint8' : d === 'int16' ? 'uint16' : d;
}

/**
 * Scale and zero point of a tensor with calibrated range `range`, per the role's spec.
 * @param range Calibrated float range (finite, min <= max).
 * @param spec The activation spec, or a weight spec resolved for an op type.
 * @param zeroPointRounding Rounding of the zero point. Default `'half_to_even'`.
 */
export function computeQuantParams(range: FloatRange, spec: RoleSpec, zeroPointRounding: RoundingMode = 'half_to_even'): QuantParams {
  let { min, max } = range;
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    bad(`Expected a finite range with min <= max but received [${min}, ${max}]`);
  }
  const s = spec.scale;
  if (s.exactZero) {
    min = Math.min(min, 0);
    max = Math.max(max, 0);
  }
  if (s.minRange > 0) max = Math.max(max, min + s.minRange);
  const absmax = Math.max(Math.abs(min), Math.abs(max));
  let dtype = spec.dtype;
  const switched = spec.symmetric && (spec.unsignedWhenNonNegative ?? false) && isSigned(dtype) && min >= 0;
  if (switched) dtype = unsignedOf(dtype);
  const narrow = spec.symmetric && spec.narrowRange && isSigned(dtype);
  const { qmin, qmax } = integerRange(dtype, { narrow, reduceRange: spec.reduceRange ?? false, bits: spec.bits });

  if (s.kind === 'dfp') {
    const bits = spec.bits !== undefined ? Math.min(spec.bits, dtypeBits(dtype)) : dtypeBits(dtype);
    const fl = absmax === 0 ? bits - 1 : bits - 1 - ceilLog2(absmax);
    const full = integerRange(dtype, { bits: spec.bits });
    return { dtype, scale: 2 ** -fl, zeroPoint: 0, qmin: full.qmin, qmax: full.qmax, exponent: -fl };
  }

  let scale: number;
  let zeroPoint = 0;
  if (spec.symmetric) {
    if (!isSigned(dtype) && !switched) zeroPoint = roundMode((qmin + qmax) / 2, zeroPointRounding);
    scale = spec.symmetricScale === 'qmax' || switched
      ? absmax / (qmax - zeroPoint)
      : (2 * absmax) / (qmax - qmin);
    scale = Math.max(scale, s.minScale);
  } else {
    scale = Math.max((max - min) / (qmax - qmin), s.minScale);
    if (scale >= FLT_MIN) {
      const zpFromMin = qmin - min / scale;
      zeroPoint = roundMode(zpFromMin, zeroPointRounding);
      if (zpFromMin < qmin) {
        zeroPoint = qmin;
        scale = max / (qmax - qmin);
      } else if (zpFromMin > qmax) {
        zeroPoint = qmax;
        scale = min / (qmin - qmax);
      }
    }
  }
  if (!(scale >= FLT_MIN)) return { dtype, scale: 1, zeroPoint: Math.min(Math.max(0, qmin), qmax), qmin, qmax };
  const out: QuantParams = { dtype, scale: Math.fround(scale), zeroPoint, qmin, qmax };
  if (s.kind === 'power_of_two') {
    const e = roundLog2(scale, s.log2Rounding);
    out.scale = 2 ** e;
    out.exponent = e;
  }
  return out;
}

/** Activation parameters of a tensor under a profile (uses `rounding.zeroPoint`). */
export function activationParams(p: ChipProfile, range: FloatRange): QuantParams {
  return computeQuantParams(range, p.activation, p.rounding.zeroPoint);
}

/** Symmetric ranges `[-a, a]` from per-channel |max| values. */
export function symmetricRanges(absmax: readonly number[]): FloatRange[] {
  return absmax.map((a) => ({ min: -Math.abs(a), max: Math.abs(a) }));
}

/** Scales of the tensors around a weighted op, needed when weights are fitted to the requant. */
export interface RequantContext {
  inputScale: number;
  outputScale: number;
  /** |bias| per output channel (or one value), when the op has a constant bias. Used by fits that bound the int32 bias (`multiplier`). */
  biasAbsmax?: readonly number[];
}

/**
 * Weight parameters of one op's constant weights: one entry per output channel when the op's
 * resolved granularity is per-channel, else one entry (the channel ranges merged).
 * @param p The profile.
 * @param opType ONNX op type (selects `weights.byOp`).
 * @param ranges Per-output-channel ranges (or a single range).
 * @param ctx Input and output scales, required when the profile fits weights to the requant.
 * @param bits Bits of the weights' integer range when narrower than their type (see RoleSpec.bits). Default: the type's.
 */
export function weightParams(p: ChipProfile, opType: string, ranges: readonly FloatRange[], ctx?: RequantContext, bits?: number): QuantParams[] {
  if (ranges.length === 0) bad('Expected at least one weight range but received none');
  const w: Omit<WeightSpec, 'byOp'> & { bits?: number } = resolveWeightSpec(p, opType);
  if (bits !== undefined && bits < dtypeBits(w.dtype)) {
    if (w.fitToRequant !== 'none') bad(`${bits}-bit weights are not available for profile ${p.name}: it fits ${opType} weights to the requant (${w.fitToRequant})`);
    w.bits = bits;
  }
  const perChannel = w.granularity === 'per_channel';
  const merged = perChannel ? ranges : [{ min: Math.min(...ranges.map((r) => r.min)), max: Math.max(...ranges.map((r) => r.max)) }];
  if (w.fitToRequant === 'none') return merged.map((r) => computeQuantParams(r, w, p.rounding.zeroPoint));
  if (ctx === undefined) {
    bad(`Profile ${p.name} fits ${opType} weights to the requant (${w.fitToRequant}): pass inputScale and outputScale`);
  }
  const full = integerRange(w.dtype);
  const b = ctx.biasAbsmax;
  return merged.map((r, c) => {
    const absmax = Math.max(Math.abs(r.min), Math.abs(r.max));
    const biasAbsmax = !b || b.length === 0 ? 0 : perChannel && b.length === merged.length ? b[c] : Math.max(...b);
    const f = w.fitToRequant === 'shift'
      ? fitShiftWeightScale(absmax, ctx.inputScale, ctx.outputScale, dtypeBits(w.dtype))
      : fitMultiplierWeightScale(absmax, ctx.inputScale, ctx.outputScale, biasAbsmax);
    if (f === null) bad(`Weights of ${opType} cannot be fitted to a right shift (TPU-MLIR lowers this layer to float)`);
    const fit: NonNullable<QuantParams['fit']> = { weightFactor: f.weightFactor, rshift: f.rshift };
    if ('multiplier' in f && typeof f.multiplier === 'number') fit.multiplier = f.multiplier;
    return { dtype: w.dtype, scale: f.weightScale, zeroPoint: 0, qmin: full.qmin, qmax: full.qmax, fit };
  });
}

/** Range of a bias type (int64 limited to the safe-integer range of a JS number). */
export function biasRange(d: Exclude<BiasDType, 'float32'>): IntRange {
  if (d === 'int16') return { qmin: -32768, qmax: 32767 };
  if (d === 'int32') return { qmin: -2147483648, qmax: 2147483647 };
  return { qmin: -Number.MAX_SAFE_INTEGER, qmax: Number.MAX_SAFE_INTEGER };
}

/**
 * Integer biases in accumulator units: `clamp(round(b / (s_in * s_w[c])))`, per channel.
 * @param bias Float biases, one per output channel.
 * @param inputScale Scale of the op's input.
 * @param weightScales One scale, or one per channel.
 * @param dtype Integer bias type.
 * @param rounding Rounding (the profile's `rounding.bias`). Default `'half_to_even'`.
 */
export function quantizeBias(
  bias: readonly number[], inputScale: number, weightScales: readonly number[],
  dtype: Exclude<BiasDType, 'float32'>, rounding: RoundingMode = 'half_to_even',
): number[] {
  if (weightScales.length !== 1 && weightScales.length !== bias.length) {
    bad(`Expected 1 or ${bias.length} weight scales for quantizeBias but received ${weightScales.length}`);
  }
  const { qmin, qmax } = biasRange(dtype);
  return bias.map((b, c) => {
    const s = inputScale * weightScales[weightScales.length === 1 ? 0 : c];
    const q = s === 0 ? 0 : roundMode(b / s, rounding);
    return Math.min(Math.max(q, qmin), qmax);
  });
}
