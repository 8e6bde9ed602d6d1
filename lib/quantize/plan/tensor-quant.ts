/** Activation parameters as TensorQuant: from a calibrated range, or re-expressed in another type. */
import { computeQuantParams, type FloatRange, type QuantDType } from '../params';
import type { ChipProfile } from '../profile';
import type { TensorQuant } from './types';

/** Activation parameters of a range in one integer type under a profile. */
export function activationQuant(profile: ChipProfile, range: FloatRange, dtype: QuantDType): TensorQuant {
  const q = computeQuantParams(range, { ...profile.activation, dtype }, profile.rounding.zeroPoint);
  return { dtype: q.dtype, scale: [q.scale], zeroPoint: [q.zeroPoint], qmin: q.qmin, qmax: q.qmax };
}

/** The real range a quantization covers. */
export function coveredRange(q: TensorQuant): FloatRange {
  const s = q.scale[0], z = q.zeroPoint[0];
  return { min: (q.qmin - z) * s, max: (q.qmax - z) * s };
}

/** The same real range as `home` expressed in another integer type (hybrid precision boundaries). */
export function viewQuant(profile: ChipProfile, home: TensorQuant, dtype: QuantDType): TensorQuant {
  if (home.dtype === dtype) return home;
  return activationQuant(profile, coveredRange(home), dtype);
}

/** Whether two quantizations are the same (so no conversion is needed between them). */
export function sameQuant(a: TensorQuant, b: TensorQuant): boolean {
  return a.dtype === b.dtype && a.scale.length === b.scale.length && a.scale.every((s, i) => s === b.scale[i])
    && a.zeroPoint.every((z, i) => z === b.zeroPoint[i]);
}
