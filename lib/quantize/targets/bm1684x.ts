/**
 * Sophgo BM1684X (and BM1688 family) with TPU-MLIR INT8. Activations s8 symmetric (threshold / 127,
 * u8 / 255 when min >= 0; `--asymmetric` switches to affine int8). Convolution weights s8 per output
 * channel with `scale = max(max|w_c| / 127, 1e-5)`, int32 bias `round(b / (s_w * s_in))`, and
 * MultiplierShift requantization with a 32-bit multiplier found by `get_scale_and_shift` (search n in
 * [-32, 31)), rounded half up. Add uses per-input 8-bit multipliers and right shifts.
 *
 * Sources: TPU-MLIR BM1684X/Conv.cpp and Add.cpp, MathUtils.cpp, the Tpu Conv2D inference, module
 * getScale, quantization-facts.md §1 and §3.
 */
import type { ProfileInput } from '../profile';
import { DATA_MOVEMENT, INTEGER_ARITH, LUT_ACTIVATIONS, execAs, inferred, sourced } from './common';

/** Input of the built-in profile `bm1684x` (see the file comment for its sources and choices). */
export const BM1684X: ProfileInput = {
  name: 'bm1684x',
  description: 'BM1684X (TPU-MLIR): s8/u8 symmetric activations, s8 per-channel weights, 32-bit multiplier + rshift, half-up',
  vendor: 'Sophgo',
  toolkit: 'TPU-MLIR (model_deploy --quantize INT8 --chip bm1684x)',
  vendorDtype: 'INT8 (symmetric)',
  activation: {
    dtype: 'int8', allowed: ['int8', 'uint8'], symmetric: true, narrowRange: false, symmetricScale: 'qmax',
    unsignedWhenNonNegative: true,
  },
  weights: {
    dtype: 'int8', allowed: ['int8'], symmetric: true, narrowRange: true, symmetricScale: 'qmax', granularity: 'per_channel',
    scale: { minScale: 1e-5 },
  },
  bias: { dtype: 'int32' },
  rounding: {
    input: 'half_away_from_zero', weight: 'half_away_from_zero', bias: 'half_away_from_zero',
    zeroPoint: 'half_away_from_zero', requant: 'half_up',
  },
  requant: { method: 'multiplier_shift', multiplierBits: 32, dequantizeFirst: false },
  eltwise: { style: 'multiplier_shift', multiplierBits: 8 },
  ops: {
    default: 'integer',
    byOp: { ...execAs('integer', [...INTEGER_ARITH, ...DATA_MOVEMENT]), ...execAs('lut', LUT_ACTIVATIONS), Softmax: 'float' },
  },
  fusedActivations: ['Relu', 'Clip'],
  calibration: { method: 'kl', bins: 2048 },
  hybrid: {
    precisions: ['int8', 'uint8', 'float16', 'bfloat16', 'float32'],
    vendorNames: { int8: 'INT8', uint8: 'INT8', float16: 'F16', bfloat16: 'BF16', float32: 'F32' },
  },
  sources: ['facts', 'tpu-mlir-bm1684x-conv', 'tpu-mlir-bm1684x-add', 'tpu-mlir-bm1684x-mul', 'tpu-mlir-tpu-add', 'tpu-mlir-mathutils', 'tpu-mlir-conv2d', 'tpu-mlir-module', 'tpu-mlir-docs'],
  claims: [
    sourced('activation.dtype', ['facts', 'tpu-mlir-module']),
    sourced('activation.symmetric', ['facts', 'tpu-mlir-module'], 'symmetric unless --asymmetric'),
    sourced('activation.symmetricScale', ['tpu-mlir-module'], 'threshold / 127 or / 255'),
    sourced('activation.unsignedWhenNonNegative', ['tpu-mlir-module'], 'getQuantInt8Type'),
    sourced('weights.dtype', ['facts', 'tpu-mlir-bm1684x-conv']),
    sourced('weights.symmetric', ['facts', 'tpu-mlir-bm1684x-conv']),
    sourced('weights.narrowRange', ['tpu-mlir-bm1684x-conv'], 'scale_w = w_max / 127, so |q| <= 127'),
    sourced('weights.granularity', ['facts', 'tpu-mlir-bm1684x-conv'], 'per-channel loop over oc'),
    sourced('weights.scale.minScale', ['tpu-mlir-bm1684x-conv'], 'std::max(w_max / fqmax, 1e-5f)'),
    sourced('bias.dtype', ['tpu-mlir-bm1684x-conv'], 'bias_int32 = round(b / (scale_w * in_scale) - sum(w_q) * in_zp)'),
    sourced('rounding.input', ['facts'], 'saturate defaults to half away from zero'),
    sourced('rounding.weight', ['tpu-mlir-bm1684x-conv', 'facts'], 'to_int8 default rounding'),
    sourced('rounding.bias', ['tpu-mlir-bm1684x-conv'], 'std::round'),
    sourced('rounding.requant', ['tpu-mlir-conv2d', 'facts'], 'MultiplierShift uses ROUNDING_HALF_UP'),
    sourced('requant.method', ['facts', 'tpu-mlir-bm1684x-conv'], 'RequantMode::MultiplierShift'),
    sourced('requant.multiplierBits', ['tpu-mlir-bm1684x-conv', 'tpu-mlir-mathutils'], 'get_scale_and_shift(scale_f, m, shift, 32)'),
    sourced('eltwise.style', ['tpu-mlir-bm1684x-add', 'tpu-mlir-bm1684x-mul', 'tpu-mlir-tpu-add'], 'Add/Sub: get_scale_and_shift_positive(coeff * scale_i / scale_o, m, shift, 8), inference RightShiftRound(x * m, shift, HALF_UP) per input; Mul: get_scale_and_shift(sa * sb / so, 8); asymmetric Add/Sub/Mul lower to F32'),
    inferred('ops.byOp.Sigmoid', 'TPU-MLIR lowers INT8 Sigmoid/Tanh/... to a 256-entry Lut op (not in the reference notes)'),
    inferred('ops.byOp.Softmax', 'INT8 Softmax is lowered in float (not in the reference notes)'),
    sourced('fusedActivations', ['tpu-mlir-conv2d'], 'do_relu clamps in the requant step'),
    inferred('calibration.method', 'run_calibration defaults to KL thresholds on a 2048-bin |x| histogram then tunes them', ['facts', 'tpu-mlir-docs']),
    sourced('calibration.bins', ['facts'], '2048 bins of |x|'),
    sourced('hybrid.precisions', ['facts'], 'qtable modes F16 | F32 | BF16 | INT8'),
  ],
  notes: [
    'When every weight of a Conv is >= 0 and it has no bias, TPU-MLIR uses u8 weights with scale max/255 (not modelled).',
    'With --asymmetric, Add is lowered to F32 and Conv requantizes to an int8 zero point.',
  ],
};
