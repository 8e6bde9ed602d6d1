/**
 * onnxruntime QDQ: what `quantize_static(..., quant_format=QDQ)` writes and the CPU EP computes with
 * its MLAS integer kernels. Activations u8 (or s8, `onnxruntime-s8`) asymmetric per tensor; weights s8
 * symmetric ±127 (`get_qmin_qmax_for_qType(symmetric=True)`), per tensor unless `per_channel=True`;
 * int32 bias `round(b / (s_in * s_w))` with numpy's half-even; QuantizeLinear rounds half to even
 * (ONNX spec); MLAS requantizes with a float32 scale and `cvtps` (half to even).
 *
 * Sources: onnxruntime quantization docs and quant_utils.py (compute_scale_zp), the QDQ op registry,
 * ONNX QuantizeLinear, shared/reference/quantization-facts.md §1-4 and §8.
 */
import type { ProfileInput } from '../profile';
import { DATA_MOVEMENT, execAs, inferred, sourced } from './common';

const S = ['facts', 'ort-quant-docs'];

/** Input of the built-in profile `onnxruntime` (see the file comment for its sources and choices). */
export const ONNXRUNTIME: ProfileInput = {
  name: 'onnxruntime',
  description: 'onnxruntime QDQ (MLAS): u8 asymmetric activations, s8 symmetric weights, half-even, float requant',
  vendor: 'Microsoft',
  toolkit: 'onnxruntime.quantization quantize_static (QDQ)',
  vendorDtype: 'QUInt8 activations, QInt8 weights',
  activation: {
    dtype: 'uint8', allowed: ['uint8', 'int8', 'uint16', 'int16'], symmetric: false, symmetricScale: 'levels',
    scale: { kind: 'float', minScale: 0, minRange: 0, exactZero: true },
  },
  weights: {
    dtype: 'int8', allowed: ['int8', 'uint8', 'int16'], symmetric: true, narrowRange: true, symmetricScale: 'levels',
    reduceRange: false, granularity: 'per_tensor',
  },
  bias: { dtype: 'int32' },
  rounding: { input: 'half_to_even', weight: 'half_to_even', bias: 'half_to_even', zeroPoint: 'half_to_even', requant: 'half_to_even' },
  requant: { method: 'float_scale', dequantizeFirst: false },
  eltwise: { style: 'mlas' },
  ops: {
    default: 'keep_float',
    byOp: {
      ...execAs('integer', ['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Mul', 'Relu', 'Clip', 'AveragePool', 'GlobalAveragePool']),
      ...execAs('integer', DATA_MOVEMENT),
      ...execAs('lut', ['Sigmoid', 'LeakyRelu']),
      Softmax: 'integer',
    },
  },
  fusedActivations: ['Relu', 'Clip'],
  calibration: { method: 'minmax', percentile: 99.999, bins: 2048, movingAverage: 0 },
  hybrid: { precisions: ['uint8', 'int8', 'uint16', 'int16', 'float32'] },
  sources: ['facts', 'ort-quant-docs', 'ort-quant-utils', 'ort-qdq-registry', 'ort-mlas-qladd-avx2', 'ort-mlas-qlmul', 'onnx-quantizelinear'],
  claims: [
    sourced('activation.dtype', S, 'quantize_static default activation_type QUInt8'),
    sourced('activation.allowed', ['ort-quant-docs', 'ort-quant-utils'], 'QUInt8, QInt8, QUInt16, QInt16'),
    sourced('activation.symmetric', [...S, 'ort-quant-utils'], 'ActivationSymmetric defaults to False'),
    sourced('activation.scale.exactZero', ['ort-quant-utils'], 'compute_scale_zp widens [rmin, rmax] to contain 0'),
    sourced('weights.dtype', S),
    sourced('weights.symmetric', [...S, 'ort-quant-utils'], 'WeightSymmetric defaults to True for QInt8'),
    sourced('weights.narrowRange', ['ort-quant-utils'], 'get_qmin_qmax_for_qType(symmetric=True) gives (-127, 127)'),
    sourced('weights.symmetricScale', ['ort-quant-utils'], 'scale = (rmax - rmin) / (qmax - qmin) after symmetrizing'),
    sourced('weights.reduceRange', ['ort-quant-utils', 'facts'], 'reduce_range gives 7-bit weights (-64, 64); off by default'),
    sourced('weights.granularity', S, 'per_channel defaults to False'),
    sourced('bias.dtype', S),
    sourced('rounding.input', ['onnx-quantizelinear', 'facts']),
    sourced('rounding.weight', ['ort-quant-utils'], 'numpy round() is half to even'),
    sourced('rounding.bias', ['ort-quant-utils'], 'numpy round() is half to even'),
    sourced('rounding.zeroPoint', ['ort-quant-utils'], 'numpy round() is half to even'),
    sourced('rounding.requant', ['facts'], 'MLAS requantization: float32 scale, _mm256_cvtps_epi32'),
    sourced('requant.method', ['facts']),
    sourced('eltwise.style', ['ort-mlas-qladd-avx2', 'ort-mlas-qlmul'], 'QLinearAdd: fma(a, sa/so, fma(b, sb/so, zo - (sa/so*za + sb/so*zb))), cvtps; QLinearMul: float(xa*xb)*ratio + zo, cvtps (checked bit for bit against onnxruntime-node 1.30 on AVX2)'),
    inferred('ops.default', 'ops outside the QDQ registry get no Q/DQ and stay float', ['ort-qdq-registry']),
    inferred('ops.byOp.Sigmoid', 'QLinearSigmoid and QLinearLeakyRelu (contrib) use 256-entry lookup tables', ['ort-qdq-registry']),
    inferred('ops.byOp.Softmax', 'onnxruntime fuses DQ -> Softmax -> Q (8-bit) into com.microsoft QLinearSoftmax: exponentials from a 256-entry float table of the input scale, a float row sum, floor(1 / output scale), saturated (contrib_ops/cpu/quantization/qlinear_softmax.cc; checked bit for bit against onnxruntime-node 1.30 on AVX2)', ['ort-qdq-registry']),
    inferred('fusedActivations', 'QDQRemovableActivation drops Relu/Clip whose range the output quantization already covers', ['ort-qdq-registry']),
    sourced('calibration.method', S, 'CalibrationMethod.MinMax is the default'),
    sourced('calibration.percentile', ['facts'], 'ORT percentile calibrator: 2048-bin histogram, 99.999'),
    inferred('hybrid.precisions', 'nodes_to_exclude keeps a node float32; 16-bit types per tensor via TensorQuantOverrides', ['ort-quant-docs']),
  ],
  notes: [
    'With graph optimizations disabled onnxruntime executes Q/DQ literally (dequantize, float op, quantize); on AVX2 without VNNI its u8s8 kernels saturate pairs of products to int16 (vpmaddubsw) unless reduce_range is set: that saturation is not modelled.',
    'An all-zero range gets scale 1 and zero point 0 (compute_scale_zp, scale below float32 tiny).',
  ],
};

/** Input of the built-in profile `onnxruntime-s8` (see the file comment for its sources and choices). */
export const ONNXRUNTIME_S8: ProfileInput = {
  name: 'onnxruntime-s8',
  extends: 'onnxruntime',
  description: 'onnxruntime QDQ with s8 asymmetric activations (activation_type=QInt8)',
  vendorDtype: 'QInt8 activations, QInt8 weights',
  activation: { dtype: 'int8' },
  claims: [sourced('activation.dtype', S, 'activation_type=QuantType.QInt8')],
};

/**
 * Input of the built-in profile `onnxruntime-rr`: `quantize_static(..., reduce_range=True)`, 7-bit
 * weights ([-64, 64]). onnxruntime recommends it on x86 without VNNI, where its u8 x s8 kernels add
 * pairs of products with `vpmaddubsw`, which saturates at int16 for full-range weights: with 7-bit
 * weights no pair can saturate, so onnxruntime's fused integer kernels and this emulation agree bit
 * for bit on every CPU.
 */
export const ONNXRUNTIME_RR: ProfileInput = {
  name: 'onnxruntime-rr',
  extends: 'onnxruntime',
  description: 'onnxruntime QDQ with reduce_range (7-bit s8 weights): bit-exact with its AVX2 kernels',
  vendorDtype: 'QUInt8 activations, QInt8 weights, reduce_range',
  weights: { reduceRange: true },
  claims: [sourced('weights.reduceRange', ['ort-quant-utils', 'facts'], 'reduce_range=True quantizes weights to 7 bits (-64, 64)')],
};
