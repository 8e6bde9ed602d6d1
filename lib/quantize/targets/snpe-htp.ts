/**
 * Qualcomm SNPE / QNN on the Hexagon HTP with the `tf` quantizer (snpe-dlc-quantize defaults): 8-bit
 * asymmetric activations and weights per tensor ("TensorFlow-style" u8 with encoding-min/max), a
 * minimum range of 0.01 and an exactly representable zero. `snpe-htp-a16` sets `--act_bitwidth 16`;
 * `snpe-htp-pc` sets `--use_per_channel_quantization` (symmetric s8 per channel for Conv,
 * ConvTranspose and FullyConnected only). The HTP's requantization and rounding are not published:
 * inferred as half-away float requantization.
 *
 * Sources: SNPE docs (quantized vs non-quantized models, snpe-dlc-quantize), quantization-facts.md §2
 * and §3.
 */
import type { ProfileInput } from '../profile';
import { DATA_MOVEMENT, INTEGER_ARITH, LUT_ACTIVATIONS, execAs, inferred, sourced } from './common';

const SNPE = ['facts', 'snpe-docs'];
const NOT_PUBLISHED = 'HTP arithmetic is not published; AIMET/SNPE simulation rounds half away from zero in float';
const PC = { dtype: 'int8', symmetric: true, narrowRange: true, granularity: 'per_channel' } as const;

/** Input of the built-in profile `snpe-htp` (see the file comment for its sources and choices). */
export const SNPE_HTP: ProfileInput = {
  name: 'snpe-htp',
  description: 'SNPE/QNN HTP, tf quantizer: u8 asymmetric activations and weights, min range 0.01, exact zero',
  vendor: 'Qualcomm',
  toolkit: 'SNPE snpe-dlc-quantize / QNN converters',
  vendorDtype: 'tf (8-bit)',
  activation: {
    dtype: 'uint8', allowed: ['uint8', 'uint16'], symmetric: false,
    scale: { kind: 'float', minRange: 0.01, exactZero: true },
  },
  weights: {
    dtype: 'uint8', allowed: ['uint8', 'int8'], symmetric: false, narrowRange: false, granularity: 'per_tensor',
    scale: { kind: 'float', minRange: 0.01, exactZero: true },
  },
  bias: { dtype: 'int32' },
  rounding: {
    input: 'half_away_from_zero', weight: 'half_away_from_zero', bias: 'half_away_from_zero',
    zeroPoint: 'half_away_from_zero', requant: 'half_away_from_zero',
  },
  requant: { method: 'float_scale', dequantizeFirst: false },
  eltwise: { style: 'float' },
  ops: {
    default: 'integer',
    byOp: { ...execAs('integer', [...INTEGER_ARITH, ...DATA_MOVEMENT]), ...execAs('lut', LUT_ACTIVATIONS), Softmax: 'float16' },
  },
  fusedActivations: ['Relu', 'Clip'],
  calibration: { method: 'minmax' },
  hybrid: { precisions: ['uint8', 'uint16', 'float16'], vendorNames: { uint8: '8', uint16: '16', float16: 'fp16' } },
  sources: ['facts', 'snpe-docs'],
  claims: [
    sourced('activation.dtype', SNPE, 'tf quantizer: asymmetric 8-bit'),
    sourced('activation.allowed', SNPE, '8- or 16-bit activations'),
    sourced('activation.symmetric', SNPE),
    sourced('activation.scale.minRange', SNPE, 'a minimum range of 0.01 is enforced'),
    sourced('activation.scale.exactZero', SNPE, 'floating point zero is exactly representable'),
    sourced('weights.dtype', SNPE, '8-bit weights'),
    inferred('weights.symmetric', 'the tf quantizer encodes weights asymmetrically unless --use_symmetric_quantize_weights', ['snpe-docs']),
    sourced('weights.granularity', SNPE, 'per-channel only with --use_per_channel_quantization, for Conv/Deconv/FC'),
    inferred('bias.dtype', 'snpe-dlc-quantize --bias_bitwidth 8 (default) or 32; HTP models use 32 (8-bit bias not modelled)', ['snpe-docs']),
    inferred('rounding.input', NOT_PUBLISHED),
    inferred('rounding.weight', NOT_PUBLISHED),
    inferred('rounding.requant', NOT_PUBLISHED),
    inferred('requant.method', NOT_PUBLISHED),
    inferred('eltwise.style', NOT_PUBLISHED),
    inferred('ops.byOp.Sigmoid', 'HTP evaluates 8-bit nonlinearities through lookup tables (not in the reference notes)'),
    inferred('ops.byOp.Softmax', 'HTP computes Softmax in float16 (not in the reference notes)'),
    inferred('fusedActivations', 'Relu/Relu6 fold into the producer output encoding (not in the reference notes)'),
    sourced('calibration.method', SNPE, "the default 'tf' quantizer uses the true min/max; 'enhanced' targets long tails"),
    inferred('hybrid.precisions', 'QNN HTP mixes 8- and 16-bit activation encodings and fp16 ops', ['snpe-docs']),
  ],
};

/** Input of the built-in profile `snpe-htp-a16` (see the file comment for its sources and choices). */
export const SNPE_HTP_A16: ProfileInput = {
  name: 'snpe-htp-a16',
  extends: 'snpe-htp',
  description: 'SNPE/QNN HTP, tf quantizer with --act_bitwidth 16: u16 asymmetric activations, u8 weights',
  vendorDtype: 'tf (act_bitwidth 16)',
  activation: { dtype: 'uint16' },
  claims: [sourced('activation.dtype', SNPE, '--act_bitwidth 16')],
};

/** Input of the built-in profile `snpe-htp-pc` (see the file comment for its sources and choices). */
export const SNPE_HTP_PC: ProfileInput = {
  name: 'snpe-htp-pc',
  extends: 'snpe-htp',
  description: 'SNPE/QNN HTP with --use_per_channel_quantization: s8 symmetric per-channel Conv/ConvTranspose/Gemm weights',
  vendorDtype: 'tf (per-channel)',
  weights: { byOp: { Conv: PC, ConvTranspose: PC, Gemm: PC } },
  claims: [
    sourced('weights.byOp.Conv.granularity', SNPE, 'per-channel for Conv/Deconv/FC only'),
    inferred('weights.byOp.Conv.symmetric', 'per-channel encodings are symmetric signed 8-bit', ['snpe-docs']),
  ],
};
