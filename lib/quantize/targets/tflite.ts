/**
 * TensorFlow Lite full-integer quantization. `tflite-int8`: activations int8 asymmetric per tensor,
 * weights int8 symmetric ±127, per axis for Conv/DepthwiseConv and per tensor for FullyConnected,
 * int32 bias with scale `s_in * s_w` and zero point 0, gemmlowp double-rounding requantization
 * (`MultiplyByQuantizedMultiplier`), Add with `left_shift = 20`. `tflite-16x8`: int16 symmetric
 * activations, int8 weights, int64 bias, Add with `left_shift = 15`.
 *
 * Sources: TFLite 8-bit quantization spec, the 16x8 guide, quantization_util.cc, gemmlowp
 * fixedpoint.h, shared/reference/quantization-facts.md §1 and §3.
 */
import type { ActivationNode, ProfileInput } from '../profile';
import { execAs, inferred, sourced } from './common';

const SPEC = ['tflite-spec', 'facts'];

/** TFLite fuses only the activations its op options encode: RELU, RELU6, RELU_N1_TO_1. */
function tfliteFusable(act: ActivationNode): boolean {
  if (act.opType === 'Relu') return true;
  const lo = act.min ?? -Infinity;
  const hi = act.max ?? Infinity;
  return (lo === 0 && (hi === 6 || hi === Infinity)) || (lo === -1 && hi === 1);
}

/** Input of the built-in profile `tflite-int8` (see the file comment for its sources and choices). */
export const TFLITE_INT8: ProfileInput = {
  name: 'tflite-int8',
  description: 'TFLite int8: s8 asymmetric activations, s8 ±127 per-channel weights, gemmlowp fixed-point requant',
  vendor: 'Google',
  toolkit: 'TFLiteConverter (Optimize.DEFAULT + representative dataset, int8 ops)',
  vendorDtype: 'int8',
  activation: { dtype: 'int8', allowed: ['int8'], symmetric: false, symmetricScale: 'qmax' },
  weights: {
    dtype: 'int8', allowed: ['int8'], symmetric: true, narrowRange: true, symmetricScale: 'qmax', granularity: 'per_channel',
    byOp: { Gemm: { granularity: 'per_tensor' }, MatMul: { granularity: 'per_tensor' } },
  },
  bias: { dtype: 'int32' },
  rounding: {
    input: 'half_away_from_zero', weight: 'half_away_from_zero', bias: 'half_away_from_zero',
    zeroPoint: 'half_away_from_zero', requant: 'half_away_from_zero',
  },
  requant: { method: 'fixed_point_double', multiplierBits: 32, dequantizeFirst: false },
  eltwise: { style: 'tflite', leftShift: 20 },
  ops: { default: 'integer', byOp: { ...execAs('lut', ['Sigmoid', 'Tanh']) } },
  fusedActivations: ['Relu', 'Clip'],
  hooks: { fuseActivation: tfliteFusable },
  calibration: { method: 'minmax', movingAverage: 0 },
  hybrid: { precisions: ['int8', 'float32'], vendorNames: { int8: 'INT8', float32: 'FLOAT32' } },
  sources: ['facts', 'tflite-spec', 'tflite-quant-util', 'gemmlowp-fixedpoint'],
  claims: [
    sourced('activation.dtype', SPEC),
    sourced('activation.symmetric', SPEC, 'activations asymmetric, zero point in [-128, 127]'),
    sourced('weights.dtype', SPEC),
    sourced('weights.symmetric', SPEC, 'weights symmetric, zero point 0'),
    sourced('weights.narrowRange', SPEC, 'weights in [-127, 127]'),
    sourced('weights.granularity', SPEC, 'Conv2D/DepthwiseConv2D per axis'),
    sourced('weights.byOp.Gemm.granularity', ['tflite-spec'], 'FULLY_CONNECTED weights per tensor'),
    sourced('bias.dtype', SPEC, 'int32, scale input_scale * weight_scale, zero point 0'),
    inferred('rounding.input', 'reference AffineQuantize uses TfLiteRound = std::round (half away from zero)', ['tflite-quant-util']),
    inferred('rounding.weight', 'SymmetricQuantizeFloats / per-channel quantization use std::round', ['tflite-quant-util']),
    inferred('rounding.zeroPoint', 'zero-point nudging rounds with std::round', ['tflite-quant-util']),
    sourced('rounding.requant', ['gemmlowp-fixedpoint', 'facts'], 'RoundingDivideByPOT rounds half away from zero'),
    sourced('requant.method', ['tflite-quant-util', 'gemmlowp-fixedpoint', 'facts'], 'MultiplyByQuantizedMultiplier, double rounding (default build)'),
    sourced('eltwise.style', ['facts'], 'Add: inputs shifted left by 20, per-input multipliers'),
    inferred('ops.byOp.Sigmoid', 'optimized int8 Logistic and Tanh kernels evaluate a 256-entry LUT', ['tflite-spec']),
    inferred('fusedActivations', 'fused_activation_function NONE/RELU/RELU6/RELU_N1_TO_1 clamp the output range; the hook accepts only those Clip bounds', ['tflite-spec']),
    inferred('calibration.method', 'the converter records running min/max over the representative dataset', ['tflite-spec']),
    inferred('hybrid.precisions', 'ops without int8 kernels fall back to float unless TFLITE_BUILTINS_INT8 only is requested', ['tflite-spec']),
  ],
  notes: ['TFLITE_SINGLE_ROUNDING builds use fixed_point_single (ruy): derive a profile with requant.method fixed_point_single and rounding.requant half_up.'],
};

/** Input of the built-in profile `tflite-16x8` (see the file comment for its sources and choices). */
export const TFLITE_16X8: ProfileInput = {
  name: 'tflite-16x8',
  extends: 'tflite-int8',
  description: 'TFLite 16x8: s16 symmetric activations, s8 per-channel weights, int64 bias',
  vendorDtype: 'int16x8 (EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8)',
  activation: { dtype: 'int16', allowed: ['int16'], symmetric: true, narrowRange: false, symmetricScale: 'qmax' },
  bias: { dtype: 'int64' },
  eltwise: { style: 'tflite', leftShift: 15 },
  hybrid: { precisions: ['int16', 'float32'], vendorNames: { int16: 'INT16', float32: 'FLOAT32' } },
  sources: ['tflite-16x8'],
  claims: [
    sourced('activation.dtype', ['tflite-16x8', 'facts']),
    sourced('activation.symmetric', ['tflite-16x8', 'facts'], 'int16 activations symmetric, zero point 0'),
    inferred('activation.symmetricScale', 'activation scale max|x| / 32767, values saturate to [-32768, 32767]', ['tflite-16x8']),
    sourced('bias.dtype', ['tflite-16x8', 'facts'], 'int64 bias for 16x8 Conv/FullyConnected'),
    sourced('eltwise.style', ['facts'], 'left shift 15 for 16-bit inputs'),
    inferred('hybrid.precisions', 'the 16x8 converter falls back to float for ops without 16x8 kernels when allowed', ['tflite-16x8']),
  ],
};
