/**
 * Rockchip RK3588 / RK3566 / RK3568 with RKNN-Toolkit2. `quantized_dtype` selects the profile:
 * - `rk3588` = `w8a8` (`asymmetric_quantized-8`): s8 asymmetric activations per tensor, s8 symmetric
 *   weights per channel (`quantized_method='channel'`, the default), int32 bias;
 * - `rk3588-w8a16`: s16 activations, s8 weights;
 * - `rk3588-w16a16i`: s16 activations and weights.
 * Hybrid quantization (`hybrid_quantization_step1/2`) sets layers to int8, int16 or float16 in
 * `custom_quantize_layers`. The NPU's requantization and rounding are not published: half-even float
 * requantization is inferred from PPQ's RKNN platform, and the board is known to differ from the
 * simulator now and then (rknn-toolkit2 issues #5, #271, #333).
 *
 * Sources: RKNN-Toolkit2 user guide (config: quantized_dtype, quantized_method, quantized_algorithm),
 * PPQ RKNNQuantizer.py, quantization-facts.md §3, §6, §7.
 */
import type { ProfileInput } from '../profile';
import { DATA_MOVEMENT, INTEGER_ARITH, LUT_ACTIVATIONS, execAs, inferred, sourced } from './common';

const TK2 = ['facts', 'rknn-toolkit2'];
const NO_BOARD = 'RKNPU2 requantization is not published; PPQ models RKNN with half-even float QDQ';

/** Input of the built-in profile `rk3588` (see the file comment for its sources and choices). */
export const RK3588: ProfileInput = {
  name: 'rk3588',
  description: 'RK3588 (RKNN-Toolkit2) w8a8: s8 asymmetric activations, s8 symmetric per-channel weights, int32 bias',
  vendor: 'Rockchip',
  toolkit: 'RKNN-Toolkit2',
  vendorDtype: 'w8a8',
  activation: { dtype: 'int8', allowed: ['int8', 'int16'], symmetric: false },
  weights: { dtype: 'int8', allowed: ['int8', 'int16'], symmetric: true, narrowRange: true, granularity: 'per_channel' },
  bias: { dtype: 'int32' },
  rounding: { input: 'half_to_even', weight: 'half_to_even', bias: 'half_to_even', zeroPoint: 'half_to_even', requant: 'half_to_even' },
  requant: { method: 'float_scale', dequantizeFirst: false },
  eltwise: { style: 'float' },
  ops: {
    default: 'integer',
    byOp: { ...execAs('integer', [...INTEGER_ARITH, ...DATA_MOVEMENT]), ...execAs('lut', LUT_ACTIVATIONS), Softmax: 'float16' },
  },
  fusedActivations: ['Relu', 'Clip'],
  calibration: { method: 'minmax', movingAverage: 0 },
  hybrid: { precisions: ['int8', 'int16', 'float16'], vendorNames: { int8: 'int8', int16: 'int16', float16: 'float16' } },
  sources: ['facts', 'rknn-toolkit2', 'ppq-rknn'],
  claims: [
    sourced('vendorDtype', TK2, 'quantized_dtype w8a8, w8a16, w16a16i, w16a16i_dfp, w4a16'),
    inferred('activation.dtype', 'Toolkit2 w8a8 (asymmetric_quantized-8) stores int8 with a zero point; exported models show int8 zero points', ['rknn-toolkit2']),
    inferred('activation.symmetric', 'asymmetric_quantized-8: affine int8 activations', ['rknn-toolkit2']),
    sourced('weights.granularity', TK2, "quantized_method 'channel' (default) or 'layer'"),
    sourced('weights.dtype', TK2),
    inferred('weights.symmetric', 'per-channel weights are symmetric as in PPQ RKNN_PerChannelQuantizer', ['ppq-rknn']),
    inferred('weights.narrowRange', 'PPQ RKNN per-channel weights use [-127, 127]', ['ppq-rknn']),
    inferred('bias.dtype', 'int32 bias as PPQ RKNN (30 bits used)', ['ppq-rknn']),
    inferred('rounding.input', NO_BOARD, ['ppq-rknn']),
    inferred('rounding.weight', NO_BOARD, ['ppq-rknn']),
    inferred('rounding.requant', NO_BOARD, ['ppq-rknn']),
    inferred('requant.method', NO_BOARD, ['ppq-rknn']),
    inferred('eltwise.style', NO_BOARD, ['ppq-rknn']),
    inferred('ops.byOp.Sigmoid', 'RKNPU2 evaluates Sigmoid/Tanh/HardSwish through lookup tables (not in the reference notes)'),
    inferred('ops.byOp.Softmax', 'RKNPU2 computes Softmax in float16 (not in the reference notes)'),
    sourced('fusedActivations', ['ppq-rknn'], 'activation_fusion_types {Relu, Clip}'),
    inferred('calibration.method', "quantized_algorithm 'normal' (min/max) is the default; 'mmse' and 'kl_divergence' are options", ['rknn-toolkit2']),
    sourced('hybrid.precisions', ['facts'], 'custom_quantize_layers: int8 | int16 | float16'),
  ],
};

/** Input of the built-in profile `rk3588-w8a16` (see the file comment for its sources and choices). */
export const RK3588_W8A16: ProfileInput = {
  name: 'rk3588-w8a16',
  extends: 'rk3588',
  description: 'RK3588 (RKNN-Toolkit2) w8a16: s16 activations, s8 per-channel weights',
  vendorDtype: 'w8a16',
  activation: { dtype: 'int16', symmetric: true, narrowRange: false, symmetricScale: 'qmax' },
  bias: { dtype: 'int64' },
  claims: [
    sourced('activation.dtype', TK2, 'quantized_dtype w8a16'),
    inferred('activation.symmetric', '16-bit activations taken symmetric as in TFLite 16x8 (not published)', ['rknn-toolkit2']),
    inferred('bias.dtype', '16-bit activations need a 64-bit accumulator and bias (as TFLite 16x8)'),
  ],
};

/** Input of the built-in profile `rk3588-w16a16i` (see the file comment for its sources and choices). */
export const RK3588_W16A16I: ProfileInput = {
  name: 'rk3588-w16a16i',
  extends: 'rk3588-w8a16',
  description: 'RK3588 (RKNN-Toolkit2) w16a16i: s16 activations and s16 per-channel weights',
  vendorDtype: 'w16a16i',
  weights: { dtype: 'int16' },
  claims: [
    sourced('activation.dtype', TK2, 'quantized_dtype w16a16i'),
    sourced('weights.dtype', TK2, 'quantized_dtype w16a16i'),
  ],
};
