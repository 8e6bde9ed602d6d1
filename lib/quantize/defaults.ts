/**
 * Default values of every profile field (the onnxruntime QDQ conventions), filled in by
 * `defineProfile` for fields that neither the input nor its base sets. The TSDoc of each field in
 * profile.ts states the same defaults.
 */
import type { ChipProfile, ScaleSpec } from './profile';

/** A fresh default scale spec. */
export function defaultScale(): ScaleSpec {
  return { kind: 'float', log2Rounding: 'ceil', minScale: 0, minRange: 0, exactZero: true };
}

/** A fresh copy of the defaults of every field but `name` and `description`. */
export function profileDefaults(): Omit<ChipProfile, 'name' | 'description'> {
  return {
    vendor: '',
    toolkit: '',
    vendorDtype: '',
    base: '',
    activation: {
      dtype: 'uint8',
      allowed: ['uint8'],
      symmetric: false,
      narrowRange: false,
      symmetricScale: 'levels',
      unsignedWhenNonNegative: false,
      quantizedTensors: 'all',
      scale: defaultScale(),
    },
    weights: {
      dtype: 'int8',
      allowed: ['int8'],
      symmetric: true,
      narrowRange: true,
      symmetricScale: 'levels',
      reduceRange: false,
      granularity: 'per_tensor',
      fitToRequant: 'none',
      scale: defaultScale(),
      byOp: {},
    },
    bias: { dtype: 'int32' },
    rounding: {
      input: 'half_to_even',
      weight: 'half_to_even',
      bias: 'half_to_even',
      zeroPoint: 'half_to_even',
      requant: 'half_to_even',
    },
    requant: { method: 'float_scale', multiplierBits: 32, dequantizeFirst: false, reciprocalScales: false },
    eltwise: { style: 'float', leftShift: 20, multiplierBits: 8 },
    ops: { default: 'integer', byOp: {} },
    fusedActivations: ['Relu', 'Clip'],
    calibration: { method: 'minmax', percentile: 99.999, bins: 2048, movingAverage: 0 },
    hybrid: { precisions: ['uint8', 'int8', 'float32'], vendorNames: {} },
    sources: [],
    claims: [],
    notes: [],
    hooks: {},
  };
}
