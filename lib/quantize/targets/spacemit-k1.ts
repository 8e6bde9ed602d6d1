/**
 * SpacemiT K1 (RISC-V with IME) with XQuant/XSlim, a PPQ-based quantizer: activations s8 asymmetric per
 * tensor [-128, 127] with PPQ's scale `(max - min) / 255` and `offset = round(-min / scale)` aligned to
 * int8; Conv weights s8 symmetric per channel, Gemm/MatMul/ConvTranspose/BatchMatMul weights s8
 * symmetric per tensor with a power-of-two scale (log2 rounded up, PPQ); weights use the full
 * [-128, 127] range with `2 * absmax / 255`; bias kept float32 (`XQUANT_BIAS_TO_FP32=1` default);
 * rounding half to even; scales at least 1e-8; Relu and Clip fused.
 *
 * Sources: XSlim xslim/quantizer/xslim.py, PPQ observer/range.py, quantization-facts.md §2 and §3.
 */
import type { ProfileInput } from '../profile';
import { DATA_MOVEMENT, execAs, inferred, sourced } from './common';

const X = ['facts', 'xslim'];
const POW2 = { granularity: 'per_tensor', scale: { kind: 'power_of_two', log2Rounding: 'ceil' } } as const;

/** Input of the built-in profile `spacemit-k1` (see the file comment for its sources and choices). */
export const SPACEMIT_K1: ProfileInput = {
  name: 'spacemit-k1',
  description: 'SpacemiT K1 (XSlim): s8 asymmetric activations, Conv s8 per-channel, Gemm/MatMul s8 per-tensor power-of-two, float bias',
  vendor: 'SpacemiT',
  toolkit: 'XQuant / XSlim (PPQ based)',
  vendorDtype: 'XQUANT_INT8',
  activation: {
    dtype: 'int8', allowed: ['int8'], symmetric: false,
    scale: { kind: 'float', minScale: 1e-8, minRange: 0, exactZero: true },
  },
  weights: {
    dtype: 'int8', allowed: ['int8'], symmetric: true, narrowRange: false, symmetricScale: 'levels',
    granularity: 'per_channel', scale: { kind: 'float', minScale: 1e-8 },
    byOp: { Gemm: POW2, MatMul: POW2, ConvTranspose: POW2, BatchMatMul: POW2 },
  },
  bias: { dtype: 'float32' },
  rounding: { input: 'half_to_even', weight: 'half_to_even', bias: 'half_to_even', zeroPoint: 'half_to_even', requant: 'half_to_even' },
  requant: { method: 'float_scale', dequantizeFirst: true },
  eltwise: { style: 'float' },
  ops: {
    default: 'keep_float',
    byOp: {
      ...execAs('integer', [
        'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Relu', 'PRelu', 'LeakyRelu', 'Clip', 'AveragePool', 'GlobalAveragePool',
        'ReduceMean', 'Add', 'Sub', 'Mul', ...DATA_MOVEMENT,
      ]),
      ...execAs('float', ['Sigmoid', 'HardSwish', 'HardSigmoid', 'Gelu', 'LRN', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization']),
    },
  },
  fusedActivations: ['Relu', 'Clip'],
  calibration: { method: 'percentile', percentile: 99.99, bins: 2048 },
  hybrid: { precisions: ['int8', 'float32'], vendorNames: { int8: 'int8', float32: 'fp32' } },
  sources: ['facts', 'xslim', 'ppq-range'],
  claims: [
    sourced('activation.dtype', X, 'num_of_bits 8, quant range [-128, 127]'),
    sourced('activation.symmetric', X, 'ASYMMETRICAL + PER_TENSOR'),
    sourced('activation.scale.minScale', ['ppq-range', 'facts'], 'OBSERVER_MIN_SCALE 1e-8'),
    sourced('weights.dtype', X),
    sourced('weights.symmetric', X),
    sourced('weights.narrowRange', ['xslim'], 'weights get _get_quant_min_max(8) = [-128, 127]'),
    sourced('weights.symmetricScale', ['ppq-range', 'facts'], 'PPQ symmetric scale 2 * absmax / (qmax - qmin)'),
    sourced('weights.granularity', X, 'Conv: SYMMETRICAL + PER_CHANNEL'),
    sourced('weights.byOp.Gemm.granularity', X, 'Gemm/MatMul/ConvTranspose/BatchMatMul: PER_TENSOR + POWER_OF_2'),
    sourced('weights.byOp.Gemm.scale.kind', X),
    sourced('weights.byOp.Gemm.scale.log2Rounding', ['ppq-range', 'facts'], 'ppq_round_to_power_of_2(scale, ROUND_UP)'),
    sourced('bias.dtype', X, 'XQUANT_BIAS_TO_FP32 defaults to 1: bias state FP32'),
    sourced('rounding.input', X, 'ROUND_HALF_EVEN'),
    sourced('rounding.weight', X, 'ROUND_HALF_EVEN'),
    sourced('rounding.zeroPoint', ['ppq-range'], 'ppq_numerical_round defaults to half even'),
    inferred('rounding.requant', 'K1 runs QDQ models through its onnxruntime execution provider: half-even float requant', ['xslim']),
    inferred('requant.method', 'K1 runs QDQ models through its onnxruntime execution provider; a float bias needs the float path', ['xslim']),
    inferred('eltwise.style', 'QDQ Add/Mul evaluated in float', ['xslim']),
    sourced('ops.default', ['xslim'], 'ops outside quant_operation_types get TargetPlatform.FP32'),
    inferred('ops.byOp.Sigmoid', 'quantized at its boundaries; the runtime kernel (LUT or float) is not published', ['xslim']),
    sourced('fusedActivations', ['xslim'], 'activation_fusion_types {Relu, Clip}'),
    inferred('calibration.method', "the default observer 'xslim' is XSlim's own block-wise method; percentile with max_percentile 0.9999 is the closest stock setting", ['xslim']),
    inferred('hybrid.precisions', 'custom_setting precision_level and truncate_var_names keep subgraphs float', ['facts']),
  ],
  notes: [
    'PPQ computes the zero point before rounding a scale to a power of two; npuquant does the same.',
    'Parameters (weights) always use the minmax observer; XSlim runs layerwise equalization before quantizing.',
  ],
};
