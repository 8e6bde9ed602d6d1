/**
 * Requantization parameters: for an accumulator of scale `s_in * s_w[c]` and an output scale `s_out`,
 * the per-channel values `npuq::Requant` takes, per method:
 * - `float_scale`: the float32 ratio `m = s_in * s_w / s_out`;
 * - `fixed_point_double` / `fixed_point_single`: gemmlowp QuantizeMultiplier (`quantizeMultiplier`);
 * - `multiplier_shift`: TPU-MLIR `get_scale_and_shift` (search `n in [-32, 31)` minimising
 *   `|m / 2^n - s|`, multiplier below 2^(bits-1) - 1);
 * - `multiplier_shift_float`: TPU-MLIR CV18xx `getRShiftAndMultiplierFromQScale` (non-QDM);
 * - `shift_only`: `2^-rshift`, which must equal `m` (power-of-two or fitted scales).
 * Shift conventions follow `npuq::Requant`: gemmlowp (> 0 = left) for fixed point, right shifts otherwise.
 * The TPU-MLIR searches mirror lib/Support/MathUtils.cpp, including its float32 error arithmetic.
 */
import { NpuqError } from '../errors';
import type { RequantMethod } from './profile';
import { quantizeMultiplier, roundHalfAway } from './rounding';

function bad(message: string): never {
  throw new NpuqError('INVALID_ARGUMENT', message);
}

const INT32_MAX = 2147483647;
const FLT_MAX = 3.4028234663852886e38;

/** A multiplier and right shift (`m ≈ multiplier / 2^rshift`). */
export interface MultiplierShift {
  multiplier: number;
  rshift: number;
}

/**
 * Mirrors TPU-MLIR `get_scale_and_shift` (and `get_scale_and_shift_positive` with `positiveOnly`):
 * for n in [-32, 31) (or [0, 31)), `m = round(s * 2^n)` (half away), `err = float(|m / 2^n - s|)`;
 * keeps the first n with the smallest error and `|m| < limit`, where limit is INT32_MAX for 32 bits
 * and `2^(bits-1) - 1` otherwise (TPU-MLIR only uses 8 → 127 and 32). `s` is taken as float32.
 * Candidates whose `m` overflows int32 (undefined behaviour in C++) are skipped.
 */
export function searchMultiplierShift(scale: number, bits = 32, positiveOnly = false): MultiplierShift {
  if (!Number.isFinite(scale)) bad(`Expected a finite scale for searchMultiplierShift but received ${scale}`);
  const s = Math.fround(scale);
  const limit = bits >= 32 ? INT32_MAX : 2 ** (bits - 1) - 1;
  let minErr = FLT_MAX;
  let shift: number | undefined;
  for (let n = positiveOnly ? 0 : -32; n < 31; n++) {
    const p = 2 ** n;
    const m = roundHalfAway(s * p);
    if (Math.abs(m) > INT32_MAX) continue;
    const err = Math.fround(Math.abs(m / p - s));
    if (err < minErr && Math.abs(m) < limit) {
      minErr = err;
      shift = n;
    }
  }
  if (shift === undefined) bad(`No ${bits}-bit multiplier and shift represent scale ${scale}`);
  return { multiplier: roundHalfAway(s * 2 ** shift), rshift: shift };
}

/**
 * Mirrors TPU-MLIR `getRShiftAndMultiplierFromQScale` with qdm = false (CV18xx eltwise, pooling):
 * above `maxMultiplier` saturates to (maxMultiplier, 0); else the first rshift with
 * `q * 2^(rshift+1) >= maxMultiplier` and `multiplier = trunc(q * 2^rshift)`; (0, 0) if none.
 */
export function rshiftAndMultiplierFromQScale(qscale: number, maxMultiplier = 127): MultiplierShift {
  if (qscale > maxMultiplier) return { multiplier: maxMultiplier, rshift: 0 };
  for (let rshift = 0; rshift < 63; ++rshift) {
    if (qscale * 2 ** (rshift + 1) >= maxMultiplier) return { multiplier: Math.trunc(qscale * 2 ** rshift), rshift };
  }
  return { multiplier: 0, rshift: 0 };
}

/**
 * Mirrors TPU-MLIR `calRightShiftNum(fmax, thBottom, thTop, numBits)`: doubles `fmax * in / out`
 * until it reaches `2^(bits-1) - 1`, counting m; returns m - 1 (31 if m > 32; 0 for a non-positive value).
 */
export function calRightShiftNum(fmax: number, thBottom: number, thTop: number, bits = 8): number {
  let v = (Math.fround(fmax) * thBottom) / thTop;
  if (v <= 0) return 0;
  let m = 0;
  const target = 2 ** (bits - 1) - 1;
  while (v < target) {
    v *= 2;
    m++;
  }
  return m > 32 ? 31 : m - 1;
}

/** A weight scale fitted to the requant. */
export interface WeightFit {
  /** Right shift of the requant. */
  rshift: number;
  /** The float32 factor weights are multiplied by before rounding. */
  weightFactor: number;
  /** Effective weight scale, `1 / weightFactor`. */
  weightScale: number;
}

/**
 * BM1684 (TPU-MLIR BM1684/Conv.cpp): `rshift = calRightShiftNum(absmax, s_in, s_out)`, weights
 * `q = round(w * float(2^rshift * s_in / s_out))`, requant OnlyShift by rshift. Returns null when
 * rshift < 0 (TPU-MLIR then lowers the layer to F32). Not modelled: the rshift decrement while more
 * than 3% of the int16 biases overflow.
 */
export function fitShiftWeightScale(absmax: number, inputScale: number, outputScale: number, bits = 8): WeightFit | null {
  const rshift = calRightShiftNum(absmax, inputScale, outputScale, bits);
  if (rshift < 0) return null;
  const weightFactor = Math.fround((2 ** rshift * inputScale) / outputScale);
  return { rshift, weightFactor, weightScale: 1 / weightFactor };
}

/**
 * CV18xx (TPU-MLIR CV18xx/Conv.cpp, per channel): thresholds `127 * s`, `qscale = float(absmax *
 * thr_in) / float(127 * thr_out)` clamped below 1 (0.999999), QuantizeMultiplier, rshift = -shift;
 * weights `q = round_half_even(w * float(thr_in / thr_out * 2^(rshift+31) / M))`. Not modelled:
 * lowering qscale when a large bias would overflow int32.
 */
export function fitMultiplierWeightScale(absmax: number, inputScale: number, outputScale: number, biasAbsmax = 0): WeightFit & { multiplier: number } {
  const thrIn = Math.fround(127 * inputScale);
  const thrOut = Math.fround(127 * outputScale);
  let qscale = Math.fround(Math.fround(Math.fround(absmax) * thrIn) / Math.fround(127 * thrOut));
  if (qscale >= 1) qscale = 0.999999;
  // TPU-MLIR CV18xx/Conv.cpp: the qscale at which the bias fills int32 (getQscaleForBias) replaces a
  // smaller one, so the int32 bias never saturates; that also gives an all-zero channel with a bias
  // a multiplier (its output is the bias) instead of 0.
  const qscaleBias = Math.fround(Math.fround(Math.fround(biasAbsmax) * 127) / Math.fround(0x7fffffff * thrOut));
  if (qscaleBias > qscale && qscaleBias < 1) qscale = qscaleBias;
  const { multiplier, shift } = quantizeMultiplier(qscale);
  const rshift = -shift;
  const weightFactor = multiplier === 0 ? 0 : Math.fround((Math.fround(thrIn / thrOut) * 2 ** (rshift + 31)) / multiplier);
  return { rshift, multiplier, weightFactor, weightScale: weightFactor === 0 ? 1 : 1 / weightFactor };
}

/** Per-channel values for `npuq::Requant`. Unused arrays are empty. */
export interface RequantParams {
  method: RequantMethod;
  perChannel: boolean;
  /** float_scale: float32 ratios. */
  scale: number[];
  multiplier: number[];
  /** Fixed point: gemmlowp shift (> 0 left); others: right shift. */
  shift: number[];
}

/** What computeRequantParams needs of a profile's RequantSpec. */
export interface RequantSpecLike {
  method: RequantMethod;
  multiplierBits: number;
}

/**
 * Requant parameters for accumulators of scale `inputScale * weightScales[c]` to `outputScale`.
 * @param spec The profile's `requant` (method and multiplier bits).
 * @param inputScale Scale of the op's input.
 * @param weightScales One weight scale (per tensor) or one per output channel.
 * @param outputScale Scale of the op's output.
 */
export function computeRequantParams(
  spec: RequantSpecLike, inputScale: number, weightScales: readonly number[], outputScale: number,
): RequantParams {
  if (weightScales.length === 0) bad('Expected at least one weight scale but received none');
  for (const [name, v] of [['inputScale', inputScale], ['outputScale', outputScale], ...weightScales.map((w) => ['weightScale', w] as const)] as const) {
    if (!Number.isFinite(v) || v <= 0) bad(`Expected a positive finite ${name} for computeRequantParams but received ${v}`);
  }
  const out: RequantParams = { method: spec.method, perChannel: weightScales.length > 1, scale: [], multiplier: [], shift: [] };
  for (const sw of weightScales) {
    const m = (inputScale * sw) / outputScale;
    switch (spec.method) {
      case 'float_scale':
        // float32 (s_in * s_w) / s_out, in that order: onnxruntime QLinearConv / QGemm output scales.
        out.scale.push(Math.fround(Math.fround(inputScale * sw) / outputScale));
        break;
      case 'fixed_point_double':
      case 'fixed_point_single': {
        const q = quantizeMultiplier(m);
        out.multiplier.push(q.multiplier);
        out.shift.push(q.shift);
        break;
      }
      case 'multiplier_shift': {
        const q = searchMultiplierShift(m, spec.multiplierBits);
        out.multiplier.push(q.multiplier);
        out.shift.push(q.rshift);
        break;
      }
      case 'multiplier_shift_float': {
        const q = rshiftAndMultiplierFromQScale(m, 2 ** (spec.multiplierBits - 1) - 1);
        out.multiplier.push(q.multiplier);
        out.shift.push(q.rshift);
        break;
      }
      case 'shift_only': {
        const rshift = Math.round(-Math.log2(m));
        if (Math.abs(2 ** -rshift - m) > 1e-6 * m) {
          bad(`shift_only requant needs a power-of-two ratio s_in * s_w / s_out but received ${m}`);
        }
        out.multiplier.push(1);
        out.shift.push(rshift);
        break;
      }
    }
  }
  return out;
}
