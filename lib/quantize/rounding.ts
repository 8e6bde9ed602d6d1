/**
 * The rounding arithmetic of native/include/npuq/rounding.h, mirrored in TypeScript for parameter
 * computation (zero points, multipliers, weight and bias quantization on the compile side). Each
 * function says which C++ function it mirrors; tests check them against hand-computed values.
 */
import { NpuqError } from '../errors';
import { ROUNDING_MODES, type RoundingMode } from './profile';

/** Index of a rounding mode in `npuq::Round`. */
export function roundingModeIndex(mode: RoundingMode): number {
  return ROUNDING_MODES.indexOf(mode);
}

/**
 * Mirrors `npuq::round_mode`: rounds a real value to an integral value per mode (exact for |x| < 2^52).
 * Returns +0 for a zero result (the C++ converts to an integer, which has no negative zero).
 */
export function roundMode(x: number, m: RoundingMode): number {
  return roundModeSigned(x, m) + 0;
}

function roundModeSigned(x: number, m: RoundingMode): number {
  const f = Math.floor(x);
  const frac = x - f;
  const even = f % 2 === 0;
  switch (m) {
    case 'half_away_from_zero': return frac > 0.5 ? f + 1 : frac < 0.5 ? f : x >= 0 ? f + 1 : f;
    case 'half_up': return frac >= 0.5 ? f + 1 : f;
    case 'half_down': return frac > 0.5 ? f + 1 : f;
    case 'half_to_even': return frac > 0.5 ? f + 1 : frac < 0.5 ? f : even ? f : f + 1;
    case 'half_to_odd': return frac > 0.5 ? f + 1 : frac < 0.5 ? f : !even ? f : f + 1;
    case 'half_toward_zero': return frac > 0.5 ? f + 1 : frac < 0.5 ? f : x >= 0 ? f : f + 1;
    case 'toward_zero': return Math.trunc(x);
    case 'away_from_zero': return x >= 0 ? Math.ceil(x) : Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'floor': return f;
  }
}

/** Magnitude where the native integer helpers saturate instead of overflowing (`npuq::kRoundSat`, 2^62). */
export const ROUND_SAT = 1n << 62n;

/**
 * Mirrors `npuq::rshift_round`: `v / 2^shift` rounded per mode, exactly, in BigInt (shift in
 * [1, 62]); shift <= 0 multiplies by `2^-shift`, saturating at ±2^62 as the C++ does.
 */
export function rshiftRound(v: bigint, shift: number, m: RoundingMode): bigint {
  if (shift <= 0) {
    const left = BigInt(-shift);
    if (v > ROUND_SAT >> left) return ROUND_SAT;
    if (v < -(ROUND_SAT >> left)) return -ROUND_SAT;
    return v << left;
  }
  const s = BigInt(shift);
  const q = v >> s; // floor
  const rem = v - (q << s);
  const half = 1n << (s - 1n);
  const neg = v < 0n;
  switch (m) {
    case 'floor': return q;
    case 'ceil': return rem !== 0n ? q + 1n : q;
    case 'toward_zero': return neg && rem !== 0n ? q + 1n : q;
    case 'away_from_zero': return !neg && rem !== 0n ? q + 1n : q;
    case 'half_up': return rem >= half ? q + 1n : q;
    case 'half_down': return rem > half ? q + 1n : q;
    case 'half_away_from_zero': return rem > half || (rem === half && !neg) ? q + 1n : q;
    case 'half_toward_zero': return rem > half || (rem === half && neg) ? q + 1n : q;
    case 'half_to_even': return rem > half || (rem === half && (q & 1n) === 1n) ? q + 1n : q;
    case 'half_to_odd': return rem > half || (rem === half && (q & 1n) === 0n) ? q + 1n : q;
  }
}

/** C `frexp`: `x = q * 2^e` with |q| in [0.5, 1); (0, 0) for 0. Exact, subnormals included. */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  if (biased === 0) {
    const [q, e] = frexp(x * 2 ** 64);
    return [q, e - 64];
  }
  view.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return [view.getFloat64(0), biased - 1022];
}

/** C `llround`/`std::round`: half away from zero. */
export function roundHalfAway(x: number): number {
  return roundMode(x, 'half_away_from_zero');
}

/** A gemmlowp quantized multiplier: `m ≈ multiplier * 2^(shift - 31)`, shift > 0 a left shift. */
export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/**
 * Mirrors `npuq::quantize_multiplier` (TFLite QuantizeMultiplier): `M` in `[2^30, 2^31)`; `M == 2^31`
 * after rounding becomes `2^30` with shift + 1; shift < -31 flushes to (0, 0); shift > 30 saturates
 * to (2^31 - 1, 30). `m` must be a finite number >= 0.
 */
export function quantizeMultiplier(m: number): QuantizedMultiplier {
  if (!Number.isFinite(m) || m < 0) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a finite multiplier >= 0 for quantizeMultiplier but received ${m}`);
  }
  if (m === 0) return { multiplier: 0, shift: 0 };
  let [q, e] = frexp(m);
  let qf = roundHalfAway(q * 2 ** 31);
  if (qf === 2 ** 31) {
    qf /= 2;
    ++e;
  }
  if (e < -31) {
    e = 0;
    qf = 0;
  }
  if (e > 30) {
    e = 30;
    qf = 2 ** 31 - 1;
  }
  return { multiplier: qf, shift: e };
}
