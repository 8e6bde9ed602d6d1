/**
 * Rockchip RK1808 with RKNN-Toolkit1 (Acuity). The three `quantized_dtype` choices are three profiles:
 * - `rk1808` = `asymmetric_affine-u8` (default): `clamp(round(x/s) + z, 0, 255)` for activations and
 *   weights alike, per tensor (PPQ's RKNN_PerTensorQuantizer models this: u8 asymmetric, half-even,
 *   int32 bias);
 * - `rk1808-dfp-i8` = `dynamic_fixed_point-i8`: `q = round(x * 2^fl)`, one `fl` per tensor, so every
 *   requantization is a shift;
 * - `rk1808-dfp-i16` = `dynamic_fixed_point-i16`.
 * Toolkit1's hybrid config mixes `asymmetric_affine-u8`, `dynamic_fixed_point-i16` and `float32` per
 * layer. The NPU's own requantization arithmetic is not published: float_scale is inferred.
 *
 * Sources: RKNN-Toolkit1 user guide and Acuity .quantize files, PPQ RKNNQuantizer.py,
 * quantization-facts.md §2, §3 and §6.
 */
import type { ProfileInput } from '../profile';
import { DATA_MOVEMENT, INTEGER_ARITH, LUT_ACTIVATIONS, execAs, inferred, sourced } from './common';

const TK1 = ['facts', 'rknn-toolkit1'];
const NO_BOARD = 'the NPU requantization is not published; float QDQ is what PPQ and the Toolkit1 simulator model';

/** Input of the built-in profile `rk1808` (see the file comment for its sources and choices). */
export const RK1808: ProfileInput = {
  name: 'rk1808',
  description: 'RK1808 (RKNN-Toolkit1) asymmetric_affine-u8: u8 asymmetric activations and weights, per tensor, half-even',
  vendor: 'Rockchip',
  toolkit: 'RKNN-Toolkit1',
  vendorDtype: 'asymmetric_affine-u8',
  activation: { dtype: 'uint8', allowed: ['uint8', 'int16'], symmetric: false },
  weights: { dtype: 'uint8', allowed: ['uint8', 'int8', 'int16'], symmetric: false, narrowRange: false, granularity: 'per_tensor' },
  bias: { dtype: 'int32' },
  rounding: { input: 'half_to_even', weight: 'half_to_even', bias: 'half_to_even', zeroPoint: 'half_to_even', requant: 'half_to_even' },
  requant: { method: 'float_scale', dequantizeFirst: false },
  eltwise: { style: 'float' },
  ops: {
    default: 'integer',
    byOp: { ...execAs('integer', [...INTEGER_ARITH, ...DATA_MOVEMENT]), ...execAs('lut', LUT_ACTIVATIONS), Softmax: 'float' },
  },
  fusedActivations: ['Relu', 'Clip'],
  calibration: { method: 'minmax', movingAverage: 0 },
  hybrid: {
    precisions: ['uint8', 'int16', 'float32'],
    vendorNames: { uint8: 'asymmetric_affine-u8', int16: 'dynamic_fixed_point-i16', float32: 'float32' },
  },
  sources: ['facts', 'rknn-toolkit1', 'ppq-rknn'],
  claims: [
    sourced('activation.dtype', [...TK1, 'ppq-rknn'], 'asymmetric_affine-u8; PPQ RKNN quant range [0, 255]'),
    sourced('activation.symmetric', [...TK1, 'ppq-rknn'], 'clamp(round(x/s)+z, 0, 255)'),
    sourced('weights.dtype', ['facts', 'ppq-rknn'], 'same family as activations'),
    sourced('weights.symmetric', ['ppq-rknn'], 'RKNN_PerTensorQuantizer keeps weights in the asymmetric u8 policy'),
    sourced('weights.granularity', ['ppq-rknn'], 'PER_TENSOR'),
    sourced('bias.dtype', ['ppq-rknn'], 'bias quantized with 32 bits (30 used)'),
    sourced('rounding.input', ['facts', 'ppq-rknn'], 'PPQ RKNN_INT8 ROUND_HALF_EVEN'),
    sourced('rounding.weight', ['facts', 'ppq-rknn']),
    inferred('rounding.requant', NO_BOARD, ['ppq-rknn']),
    inferred('requant.method', NO_BOARD, ['ppq-rknn']),
    inferred('eltwise.style', NO_BOARD),
    inferred('ops.byOp.Sigmoid', 'Rockchip NPUs evaluate Sigmoid/Tanh through lookup tables (not in the reference notes)'),
    inferred('ops.byOp.Softmax', 'Softmax is computed in float (not in the reference notes)'),
    sourced('fusedActivations', ['ppq-rknn'], 'activation_fusion_types {Relu, Clip}'),
    inferred('calibration.method', "Toolkit1 quantized_algorithm 'normal' (min/max) is the default; PPQ's model uses percentile", ['rknn-toolkit1']),
    sourced('calibration.movingAverage', ['facts'], 'moving average (0.01) is an option, off by default'),
    sourced('hybrid.precisions', ['facts'], 'customized_quantize_layers: dynamic_fixed_point-i16 | asymmetric_affine-u8 | float32'),
  ],
  notes: ['Toolkit1 writes per-tensor quantize_parameters (dtype, method, max_value, min_value, zero_point/scale or fl, qtype) in its .quantize file.'],
};

const DFP = 'dynamic fixed point: q = round(x * 2^fl), fl = 7 - ceil(log2 absmax) for i8 ([unverified] in the reference notes)';

/** Input of the built-in profile `rk1808-dfp-i8` (see the file comment for its sources and choices). */
export const RK1808_DFP_I8: ProfileInput = {
  name: 'rk1808-dfp-i8',
  extends: 'rk1808',
  description: 'RK1808 (RKNN-Toolkit1) dynamic_fixed_point-i8: s8 power-of-two scales, shift-only requant',
  vendorDtype: 'dynamic_fixed_point-i8',
  activation: { dtype: 'int8', allowed: ['int8', 'int16'], symmetric: true, narrowRange: false, scale: { kind: 'dfp' } },
  weights: { dtype: 'int8', symmetric: true, narrowRange: false, granularity: 'per_tensor', scale: { kind: 'dfp' } },
  requant: { method: 'shift_only' },
  hybrid: {
    precisions: ['int8', 'int16', 'float32'],
    vendorNames: { int8: 'dynamic_fixed_point-i8', int16: 'dynamic_fixed_point-i16', float32: 'float32' },
  },
  claims: [
    sourced('activation.dtype', TK1, 'dynamic_fixed_point-i8'),
    sourced('activation.symmetric', TK1, 'DFP has no zero point'),
    inferred('activation.scale.kind', DFP, TK1),
    sourced('weights.dtype', TK1, 'same family'),
    sourced('weights.symmetric', TK1),
    sourced('weights.granularity', TK1, 'one fl per tensor'),
    inferred('weights.scale.kind', DFP, TK1),
    inferred('requant.method', 'with power-of-two scales the accumulator-to-output ratio is a power of two', TK1),
    inferred('rounding.input', 'DFP rounding is not published; half-even kept from the u8 model (PPQ RKNN)', TK1),
    inferred('rounding.weight', 'DFP rounding is not published; half-even kept from the u8 model (PPQ RKNN)', TK1),
    inferred('rounding.requant', 'rounding of the shift is not published; half-even kept from the u8 model', TK1),
    inferred('hybrid.precisions', 'DFP models mix i8, i16 and float32 layers', TK1),
  ],
};

/** Input of the built-in profile `rk1808-dfp-i16` (see the file comment for its sources and choices). */
export const RK1808_DFP_I16: ProfileInput = {
  name: 'rk1808-dfp-i16',
  extends: 'rk1808-dfp-i8',
  description: 'RK1808 (RKNN-Toolkit1) dynamic_fixed_point-i16: s16 power-of-two scales, shift-only requant',
  vendorDtype: 'dynamic_fixed_point-i16',
  activation: { dtype: 'int16', allowed: ['int16'] },
  weights: { dtype: 'int16' },
  bias: { dtype: 'int64' },
  hybrid: { precisions: ['int16', 'float32'] },
  claims: [
    sourced('activation.dtype', TK1, 'dynamic_fixed_point-i16'),
    sourced('weights.dtype', TK1, 'same family'),
    inferred('bias.dtype', '16x16 products need a 64-bit accumulator and bias (as TFLite 16x8)'),
    inferred('hybrid.precisions', 'i16 models mix with float32 layers', TK1),
  ],
};
