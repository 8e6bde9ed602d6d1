/**
 * ncnn int8 (ncnn2table + ncnn2int8). Symmetric int8 everywhere with ±127 (`float2int8` clamps to
 * [-127, 127], rounds with `round()`, half away from zero); ncnn stores reciprocal scales
 * (`127 / absmax`). Weights per output channel. Only Convolution, ConvolutionDepthWise and
 * InnerProduct (Gemm) have int8 kernels: their inputs are quantized, the accumulator is dequantized
 * (`sum * 1/(s_in*s_w) + bias` in float32), the fused activation applied in float, and the result is
 * either left float or requantized with the next layer's scale. Everything else runs in float.
 *
 * Sources: ncnn int8 wiki and convolution.cpp, PPQ NCNNQuantizer.py, quantization-facts.md §1 and §3.
 */
import type { ProfileInput } from '../profile';
import { execAs, inferred, sourced } from './common';

/** Input of the built-in profile `ncnn` (see the file comment for its sources and choices). */
export const NCNN: ProfileInput = {
  name: 'ncnn',
  description: 'ncnn int8: s8 symmetric ±127 activations and per-channel weights, float bias, dequantize-then-quantize, half-away',
  vendor: 'Tencent',
  toolkit: 'ncnn2table / ncnn2int8',
  vendorDtype: 'int8',
  activation: {
    dtype: 'int8', allowed: ['int8'], symmetric: true, narrowRange: true, symmetricScale: 'qmax',
    quantizedTensors: 'integer_op_inputs',
  },
  weights: { dtype: 'int8', allowed: ['int8'], symmetric: true, narrowRange: true, symmetricScale: 'qmax', granularity: 'per_channel' },
  bias: { dtype: 'float32' },
  rounding: {
    input: 'half_away_from_zero', weight: 'half_away_from_zero', bias: 'half_away_from_zero',
    zeroPoint: 'half_away_from_zero', requant: 'half_away_from_zero',
  },
  requant: { method: 'float_scale', dequantizeFirst: true, reciprocalScales: true },
  eltwise: { style: 'float' },
  ops: { default: 'keep_float', byOp: execAs('integer', ['Conv', 'Gemm']) },
  fusedActivations: ['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'Mish', 'HardSwish'],
  calibration: { method: 'kl', bins: 2048 },
  hybrid: { precisions: ['int8', 'float32'] },
  sources: ['facts', 'ncnn-int8', 'ppq-ncnn'],
  claims: [
    sourced('activation.dtype', ['facts', 'ppq-ncnn']),
    sourced('activation.symmetric', ['facts', 'ppq-ncnn'], 'PPQ NCNN: SYMMETRICAL, PER_TENSOR, quant range [-127, 127]'),
    sourced('activation.narrowRange', ['facts', 'ppq-ncnn', 'ncnn-int8'], 'float2int8 clamps to [-127, 127]'),
    sourced('activation.quantizedTensors', ['ppq-ncnn'], 'ncnn only needs inputs in fixed point; outputs stay FP32'),
    sourced('weights.dtype', ['facts']),
    sourced('weights.symmetric', ['facts', 'ppq-ncnn']),
    sourced('weights.granularity', ['facts', 'ppq-ncnn'], 'Conv and Gemm weights PER_CHANNEL'),
    inferred('bias.dtype', 'int8 Convolution adds bias_data (float) after dequantizing the int32 sum', ['ncnn-int8']),
    sourced('rounding.input', ['facts', 'ppq-ncnn'], 'ROUND_HALF_FAR_FORM_ZERO; ncnn float2int8 uses round()'),
    sourced('rounding.weight', ['facts', 'ppq-ncnn']),
    sourced('rounding.requant', ['facts', 'ncnn-int8']),
    sourced('requant.method', ['facts'], 'float requantization'),
    inferred('requant.dequantizeFirst', 'convolution.cpp: sumfp32 = sum * scale_in + bias; activation; float2int8(sumfp32 * scale_out)', ['ncnn-int8']),
    inferred('requant.reciprocalScales', 'the tables hold 127 / absmax; convolution_int8: scale_in = 1 / (bottom_scale * weight_scale[p]); Quantize and requantize: float2int8(v * scale)', ['ncnn-int8']),
    inferred('eltwise.style', 'BinaryOp has no int8 kernel upstream; Add runs in float', ['ncnn-int8']),
    sourced('ops.byOp.Conv', ['ncnn-int8'], 'int8 kernels: Convolution, ConvolutionDepthWise, InnerProduct'),
    inferred('ops.default', 'layers without int8 kernels run in float32', ['ncnn-int8']),
    inferred('fusedActivations', 'int8 Convolution applies activation_type 1-6 (ReLU, LeakyReLU, Clip, Sigmoid, Mish, HardSwish) in float before requantizing', ['ncnn-int8']),
    inferred('calibration.method', 'ncnn2table method=kl by default (2048-bin histogram, 128 target bins); aciq and eq are options', ['ncnn-int8']),
    inferred('hybrid.precisions', 'layers without a table entry stay float32', ['ncnn-int8']),
  ],
  notes: [
    'PPQ NCNNQuantizer gives 3x3 stride-1 group-1 Conv weights 6 bits (±31) for the int8 Winograd path and quantizes Add/Concat/LayerNorm/MultiHeadAttention/Gelu inputs; upstream ncnn2int8 does neither, so they are not modelled.',
  ],
};
