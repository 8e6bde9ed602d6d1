/**
 * Sophgo CV18xx (CV180x/CV181x/CV183x) with TPU-MLIR INT8. Activations s8 symmetric (`threshold /
 * 127`, thresholds symmetric). Convolution requantizes per channel with QDM: the gemmlowp path
 * (`SaturatingRoundingDoublingHighMul` then a rounding right shift), multiplier from QuantizeMultiplier
 * of `qscale = max|w_c| * thr_in / (127 * thr_out)` (kept below 1); the weights are then quantized
 * against the quantized multiplier (`w * thr_in / thr_out * 2^(rshift+31) / M`, half to even) so the
 * requant is exact, and the int32 bias likewise. Elementwise ops use an 8-bit multiplier and right
 * shift evaluated in float (`to_int(v * m / 2^rshift)`). Non-integer ops run in BF16.
 *
 * Sources: TPU-MLIR CV18xx/Conv.cpp, MathUtils.cpp (getQscaleForFilter, getRShiftAndMultiplierFromQScale,
 * applyMultiplierAndRShift), the Tpu Conv2D inference, quantization-facts.md §1 and §3.
 */
import type { ProfileInput } from '../profile';
import { DATA_MOVEMENT, INTEGER_ARITH, LUT_ACTIVATIONS, execAs, inferred, sourced } from './common';

/** Input of the built-in profile `cv18xx` (see the file comment for its sources and choices). */
export const CV18XX: ProfileInput = {
  name: 'cv18xx',
  description: 'CV18xx (TPU-MLIR): s8 symmetric, per-channel weights fitted to a QDM multiplier, gemmlowp-style requant, BF16 elsewhere',
  vendor: 'Sophgo',
  toolkit: 'TPU-MLIR (model_deploy --quantize INT8 --chip cv183x/cv182x/cv181x/cv180x)',
  vendorDtype: 'INT8 (symmetric)',
  activation: { dtype: 'int8', allowed: ['int8'], symmetric: true, narrowRange: false, symmetricScale: 'qmax' },
  weights: {
    dtype: 'int8', allowed: ['int8'], symmetric: true, narrowRange: false, symmetricScale: 'qmax',
    granularity: 'per_channel', fitToRequant: 'multiplier',
  },
  bias: { dtype: 'int32' },
  rounding: {
    input: 'half_away_from_zero', weight: 'half_to_even', bias: 'half_to_even',
    zeroPoint: 'half_away_from_zero', requant: 'half_away_from_zero',
  },
  requant: { method: 'fixed_point_double', multiplierBits: 32, dequantizeFirst: false },
  eltwise: { style: 'multiplier_shift_float', multiplierBits: 8 },
  ops: {
    default: 'integer',
    byOp: { ...execAs('integer', [...INTEGER_ARITH, ...DATA_MOVEMENT]), ...execAs('lut', LUT_ACTIVATIONS), Softmax: 'bfloat16' },
  },
  fusedActivations: ['Relu', 'Clip'],
  calibration: { method: 'kl', bins: 2048 },
  hybrid: { precisions: ['int8', 'bfloat16'], vendorNames: { int8: 'INT8', bfloat16: 'BF16' } },
  sources: ['facts', 'tpu-mlir-cv18xx-conv', 'tpu-mlir-cv18xx-add', 'tpu-mlir-tpu-add', 'tpu-mlir-mathutils', 'tpu-mlir-conv2d', 'tpu-mlir-module', 'tpu-mlir-docs'],
  claims: [
    sourced('activation.dtype', ['facts']),
    sourced('activation.symmetric', ['facts', 'tpu-mlir-cv18xx-conv'], 'getThreshold requires max == -min'),
    sourced('weights.dtype', ['facts', 'tpu-mlir-cv18xx-conv']),
    sourced('weights.symmetric', ['facts', 'tpu-mlir-cv18xx-conv']),
    sourced('weights.granularity', ['tpu-mlir-cv18xx-conv'], 'per-channel quantize'),
    sourced('weights.fitToRequant', ['tpu-mlir-cv18xx-conv', 'tpu-mlir-mathutils'], 'quantizeFilterRShiftAndMultiplier with qdm'),
    sourced('bias.dtype', ['tpu-mlir-cv18xx-conv'], 'bias_int32 via quantizeBiasRShiftAndMultiplier'),
    sourced('rounding.input', ['facts'], 'saturate defaults to half away from zero'),
    sourced('rounding.weight', ['tpu-mlir-mathutils'], 'quantizeFilterRShiftAndMultiplier: ROUNDING_HALF_TO_EVEN'),
    sourced('rounding.bias', ['tpu-mlir-mathutils'], 'quantizeToInt32: ROUNDING_HALF_TO_EVEN'),
    sourced('rounding.requant', ['tpu-mlir-conv2d', 'tpu-mlir-mathutils'], 'QDM: half-up high multiply, then RightShiftRound half away from zero'),
    sourced('requant.method', ['facts', 'tpu-mlir-cv18xx-conv'], 'RequantMode::QDM'),
    sourced('eltwise.style', ['tpu-mlir-cv18xx-add', 'tpu-mlir-tpu-add', 'tpu-mlir-mathutils'], 'Add: one rshift from getRShiftAndMultiplierFromQScale(max q_i), m_i = q_i * 2^rshift, to_int(float(sum) / 2^rshift, HALF_UP); Mul: QDM'),
    inferred('ops.byOp.Sigmoid', 'CV18xx INT8 activations use 256-entry lookup tables (not in the reference notes)'),
    inferred('ops.byOp.Softmax', 'CV18xx runs Softmax in BF16 (not in the reference notes)'),
    sourced('fusedActivations', ['tpu-mlir-conv2d'], 'do_relu clamps in the requant step'),
    inferred('calibration.method', 'run_calibration defaults to KL thresholds on a 2048-bin |x| histogram then tunes them', ['facts', 'tpu-mlir-docs']),
    inferred('hybrid.precisions', 'CV18xx supports INT8 and BF16 (no F32/F16 on the TPU)', ['tpu-mlir-docs']),
  ],
  notes: ['A channel\'s qscale is raised to the bias qscale (|b| * 127 / (2^31 * thr_out)) when that is larger and below 1, so the int32 bias never saturates (CV18xx/Conv.cpp).'],
};
