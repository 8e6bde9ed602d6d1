/**
 * AXERA AX650 (and AX620E) with Pulsar2. Activations U8 by default, U16/S8/S16 per layer through
 * `layer_configs` (`data_type: U8 | S8 | U16 | S16 | FP32`); weights S8 (`weight_data_type`). The
 * board arithmetic is not published: Pulsar2's "Reference" simulation is documented to be within ±1
 * of the board and only its "NPUBackend" mode is bit-exact, so rounding and requantization here are
 * inferred (half-even float requantization).
 *
 * Sources: Pulsar2 documentation (config reference, layer_configs, precision analysis),
 * quantization-facts.md §3, §5 and §6.
 */
import type { ProfileInput } from '../profile';
import { DATA_MOVEMENT, INTEGER_ARITH, LUT_ACTIVATIONS, execAs, inferred, sourced } from './common';

const NOT_PUBLISHED = 'Pulsar2 does not publish the NPU arithmetic; its Reference mode is within ±1 of the board';

/** Input of the built-in profile `ax650` (see the file comment for its sources and choices). */
export const AX650: ProfileInput = {
  name: 'ax650',
  description: 'AX650 (Pulsar2): U8 asymmetric activations (U16/S8/S16 per layer), S8 weights',
  vendor: 'AXERA',
  toolkit: 'Pulsar2 (pulsar2 build)',
  vendorDtype: 'U8',
  activation: { dtype: 'uint8', allowed: ['uint8', 'int8', 'uint16', 'int16'], symmetric: false },
  weights: { dtype: 'int8', allowed: ['int8'], symmetric: true, narrowRange: true, granularity: 'per_channel' },
  bias: { dtype: 'int32' },
  rounding: { input: 'half_to_even', weight: 'half_to_even', bias: 'half_to_even', zeroPoint: 'half_to_even', requant: 'half_to_even' },
  requant: { method: 'float_scale', dequantizeFirst: false },
  eltwise: { style: 'float' },
  ops: {
    default: 'integer',
    byOp: { ...execAs('integer', [...INTEGER_ARITH, ...DATA_MOVEMENT]), ...execAs('lut', LUT_ACTIVATIONS), Softmax: 'float' },
  },
  fusedActivations: ['Relu', 'Clip'],
  calibration: { method: 'minmax' },
  hybrid: {
    precisions: ['uint8', 'int8', 'uint16', 'int16', 'float32'],
    vendorNames: { uint8: 'U8', int8: 'S8', uint16: 'U16', int16: 'S16', float32: 'FP32' },
  },
  sources: ['facts', 'pulsar2-docs'],
  claims: [
    sourced('activation.dtype', ['facts', 'pulsar2-docs'], 'U8 is the default data_type'),
    sourced('activation.allowed', ['facts', 'pulsar2-docs'], 'layer_configs data_type U8 | S8 | U16 | S16 | FP32'),
    inferred('activation.symmetric', 'U8 activations carry a zero point (asymmetric)', ['pulsar2-docs']),
    sourced('weights.dtype', ['facts', 'pulsar2-docs'], 'weight_data_type S8'),
    inferred('weights.symmetric', 'S8 weights taken symmetric (not stated in the reference notes)', ['pulsar2-docs']),
    inferred('weights.granularity', 'per-channel weights (not stated in the reference notes)', ['pulsar2-docs']),
    inferred('bias.dtype', NOT_PUBLISHED),
    inferred('rounding.input', NOT_PUBLISHED),
    inferred('rounding.weight', NOT_PUBLISHED),
    inferred('rounding.requant', NOT_PUBLISHED),
    inferred('requant.method', NOT_PUBLISHED),
    inferred('eltwise.style', NOT_PUBLISHED),
    inferred('ops.byOp.Sigmoid', 'NPU activations through lookup tables (not in the reference notes)'),
    inferred('fusedActivations', 'Relu/Clip fused into the producer (not in the reference notes)'),
    inferred('calibration.method', "quant.calibration_method defaults to 'MinMax'; Percentile and MSE are options", ['pulsar2-docs']),
    sourced('hybrid.precisions', ['facts', 'pulsar2-docs'], 'layer_configs data_type'),
  ],
  notes: [
    'Pulsar2 precision analysis reports per layer cosine and MSE (PerLayer and EndToEnd); output cosine > 0.98 is considered normal.',
  ],
};
