/**
 * Sophgo BM1684 with TPU-MLIR (INT8, symmetric). Activations s8 symmetric with `scale = threshold /
 * 127`, or u8 with `threshold / 255` when the calibrated min is >= 0 (getQuantInt8Type). Convolution
 * uses OnlyShift requantization: per layer, `rshift = calRightShiftNum(max|w|, s_in, s_out)` and the
 * weights are quantized as `round(w * 2^rshift * s_in / s_out)`, so the accumulator-to-output ratio
 * is exactly `2^-rshift` (a power-of-two requant scale, multiplier 1); the bias is int16 in accumulator
 * units; the shift rounds half up. A layer whose rshift would be negative is lowered to F32.
 * Add/Sub: per input `rshift = max(0, calRightShiftNumUseCblas(1, s_in, s_out))` and the 8-bit
 * multiplier `round(2^rshift * s_in / s_out)`; Mul: `get_scale_and_shift(s_a * s_b / s_out, 8)` with the
 * shift clamped to [0, 31] (BM1684/Add.cpp, Mul.cpp; inference Tpu/Interfaces/Common/Add.cpp).
 *
 * Sources: TPU-MLIR BM1684/Conv.cpp, MathUtils.cpp (calRightShiftNum, RightShiftRound), the Tpu
 * Conv2D inference, module getScale, quantization-facts.md §1 and §3.
 */
import type { ProfileInput } from '../profile';
import { DATA_MOVEMENT, INTEGER_ARITH, LUT_ACTIVATIONS, execAs, inferred, sourced } from './common';

/** Input of the built-in profile `bm1684` (see the file comment for its sources and choices). */
export const BM1684: ProfileInput = {
  name: 'bm1684',
  description: 'BM1684 (TPU-MLIR): s8/u8 symmetric, per-tensor weights fitted to a right shift, shift-only requant, int16 bias',
  vendor: 'Sophgo',
  toolkit: 'TPU-MLIR (model_deploy --quantize INT8 --chip bm1684)',
  vendorDtype: 'INT8 (symmetric)',
  activation: {
    dtype: 'int8', allowed: ['int8', 'uint8'], symmetric: true, narrowRange: false, symmetricScale: 'qmax',
    unsignedWhenNonNegative: true,
  },
  weights: {
    dtype: 'int8', allowed: ['int8'], symmetric: true, narrowRange: false, symmetricScale: 'qmax',
    granularity: 'per_tensor', fitToRequant: 'shift',
  },
  bias: { dtype: 'int16' },
  rounding: {
    input: 'half_away_from_zero', weight: 'half_away_from_zero', bias: 'half_away_from_zero',
    zeroPoint: 'half_away_from_zero', requant: 'half_up',
  },
  requant: { method: 'shift_only', dequantizeFirst: false },
  eltwise: { style: 'multiplier_shift_bm1684', multiplierBits: 8 },
  ops: {
    default: 'integer',
    byOp: { ...execAs('integer', [...INTEGER_ARITH, ...DATA_MOVEMENT]), ...execAs('lut', LUT_ACTIVATIONS), Softmax: 'float' },
  },
  fusedActivations: ['Relu', 'Clip'],
  calibration: { method: 'kl', bins: 2048 },
  hybrid: { precisions: ['int8', 'uint8', 'float32'], vendorNames: { int8: 'INT8', uint8: 'INT8', float32: 'F32' } },
  sources: ['facts', 'tpu-mlir-bm1684-conv', 'tpu-mlir-mathutils', 'tpu-mlir-conv2d', 'tpu-mlir-module', 'tpu-mlir-bm1684-add', 'tpu-mlir-bm1684-mul', 'tpu-mlir-tpu-add', 'tpu-mlir-docs'],
  claims: [
    sourced('activation.dtype', ['facts', 'tpu-mlir-module']),
    sourced('activation.symmetric', ['facts', 'tpu-mlir-module'], 'zero point 0 unless --asymmetric'),
    sourced('activation.symmetricScale', ['tpu-mlir-module'], 'getScale: threshold / 127 (signed) or / 255 (unsigned)'),
    sourced('activation.unsignedWhenNonNegative', ['tpu-mlir-module'], 'getQuantInt8Type: min >= 0 gives an unsigned [0, 255] type'),
    sourced('weights.dtype', ['facts', 'tpu-mlir-bm1684-conv']),
    sourced('weights.symmetric', ['facts', 'tpu-mlir-bm1684-conv']),
    sourced('weights.granularity', ['tpu-mlir-bm1684-conv'], 'one rshift and multiplier 1 per layer'),
    sourced('weights.fitToRequant', ['tpu-mlir-bm1684-conv', 'tpu-mlir-mathutils'], 'filter scale 2^rshift * in_scale / out_scale'),
    sourced('bias.dtype', ['tpu-mlir-bm1684-conv'], 'bias_int16 with scale 2^rshift / out_scale'),
    sourced('rounding.input', ['facts'], 'saturating casts default to half away from zero'),
    sourced('rounding.weight', ['facts', 'tpu-mlir-bm1684-conv'], 'quantizeToInt8 default rounding'),
    sourced('rounding.bias', ['tpu-mlir-mathutils'], 'quantizeToInt16: round()'),
    sourced('rounding.requant', ['tpu-mlir-conv2d', 'facts'], 'OnlyShift/MultiplierShift use ROUNDING_HALF_UP'),
    sourced('requant.method', ['facts', 'tpu-mlir-bm1684-conv'], 'RequantMode::OnlyShift'),
    sourced('eltwise.style', ['tpu-mlir-bm1684-add', 'tpu-mlir-bm1684-mul', 'tpu-mlir-tpu-add'], 'Add: rshift = max(0, calRightShiftNumUseCblas(1, s_in, s_out, 8)), m = to_int8(2^rshift * s_in / s_out); Mul: get_scale_and_shift(8) with rshift clamped to [0, 31]; inference RightShiftRound(x * m, rshift, HALF_UP) per input'),
    inferred('ops.byOp.Sigmoid', 'TPU-MLIR lowers INT8 Sigmoid/Tanh/... to a 256-entry Lut op (not in the reference notes)'),
    inferred('ops.byOp.Softmax', 'Softmax is lowered in float on BM1684 (not in the reference notes)'),
    sourced('fusedActivations', ['tpu-mlir-conv2d'], 'do_relu clamps in the requant step (relu_limit for Relu6)'),
    inferred('calibration.method', 'run_calibration defaults to KL thresholds on a 2048-bin |x| histogram then tunes them', ['facts', 'tpu-mlir-docs']),
    sourced('calibration.bins', ['facts'], '2048 bins of |x|'),
    inferred('hybrid.precisions', 'BM1684 has no F16/BF16: qtable entries INT8 or F32', ['tpu-mlir-docs']),
  ],
  notes: [
    'rshift is lowered while more than 3% of the int16 biases overflow; a negative rshift lowers the Conv to F32 (BM1684/Conv.cpp).',
  ],
};
