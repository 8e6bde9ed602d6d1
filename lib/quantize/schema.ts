/**
 * The shape of a profile input, as data: what `defineProfile` checks field by field before merging,
 * so that a typo or a wrong value is reported with its path, the expected values and the closest
 * valid key.
 */
import {
  REQUANT_METHODS, ROUNDING_MODES,
  type ActivationDType, type BiasDType, type OpExecution, type Precision, type WeightDType,
} from './profile';

/** One node of the schema. */
export type Schema =
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'number'; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }
  | { kind: 'boolean' }
  | { kind: 'string' }
  | { kind: 'function' }
  | { kind: 'array'; of: Schema; nonEmpty?: boolean }
  | { kind: 'object'; fields: Readonly<Record<string, Schema>> }
  | { kind: 'record'; key: 'opType' | 'precision'; of: Schema }
  | { kind: 'oneOf'; options: readonly Schema[]; expected: string };

/** Every activation type, for validation. */
export const ACTIVATION_DTYPES: readonly ActivationDType[] = ['uint8', 'int8', 'uint16', 'int16'];
/** Every weight type. */
export const WEIGHT_DTYPES: readonly WeightDType[] = ['int8', 'uint8', 'int16'];
/** Every bias type. */
export const BIAS_DTYPES: readonly BiasDType[] = ['int32', 'int64', 'int16', 'float32'];
/** Every hybrid precision. */
export const PRECISIONS: readonly Precision[] = ['int8', 'uint8', 'int16', 'uint16', 'float16', 'bfloat16', 'float32'];
/** Every op execution kind. */
export const OP_EXECUTIONS: readonly OpExecution[] = ['integer', 'lut', 'float', 'float16', 'bfloat16', 'keep_float'];
/** Activation op types a profile may list as fusable into the producer's requant. */
export const FUSABLE_ACTIVATIONS: readonly string[] = [
  'Relu', 'Clip', 'LeakyRelu', 'PRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Mish', 'Elu', 'Gelu',
];

const str: Schema = { kind: 'string' };
const bool: Schema = { kind: 'boolean' };
const rounding: Schema = { kind: 'enum', values: ROUNDING_MODES };

const scale: Schema = {
  kind: 'object',
  fields: {
    kind: { kind: 'enum', values: ['float', 'power_of_two', 'dfp'] },
    log2Rounding: rounding,
    minScale: { kind: 'number', min: 0 },
    minRange: { kind: 'number', min: 0 },
    exactZero: bool,
  },
};

const symmetricScale: Schema = { kind: 'enum', values: ['qmax', 'levels'] };
const granularity: Schema = { kind: 'enum', values: ['per_tensor', 'per_channel'] };
const fit: Schema = { kind: 'enum', values: ['none', 'shift', 'multiplier'] };
const weightDType: Schema = { kind: 'enum', values: WEIGHT_DTYPES };

const weightOverride: Schema = {
  kind: 'object',
  fields: {
    dtype: weightDType, symmetric: bool, narrowRange: bool, symmetricScale, reduceRange: bool,
    granularity, fitToRequant: fit, scale,
  },
};

const source: Schema = { kind: 'object', fields: { id: str, title: str, url: str } };

/** Schema of a profile input (every field optional except `name`, checked separately). */
export const PROFILE_SCHEMA: Schema = {
  kind: 'object',
  fields: {
    name: str,
    extends: str,
    description: str,
    vendor: str,
    toolkit: str,
    vendorDtype: str,
    activation: {
      kind: 'object',
      fields: {
        dtype: { kind: 'enum', values: ACTIVATION_DTYPES },
        allowed: { kind: 'array', of: { kind: 'enum', values: ACTIVATION_DTYPES }, nonEmpty: true },
        symmetric: bool,
        narrowRange: bool,
        symmetricScale,
        unsignedWhenNonNegative: bool,
        quantizedTensors: { kind: 'enum', values: ['all', 'integer_op_inputs'] },
        scale,
      },
    },
    weights: {
      kind: 'object',
      fields: {
        dtype: weightDType,
        allowed: { kind: 'array', of: weightDType, nonEmpty: true },
        symmetric: bool,
        narrowRange: bool,
        symmetricScale,
        reduceRange: bool,
        granularity,
        fitToRequant: fit,
        scale,
        byOp: { kind: 'record', key: 'opType', of: weightOverride },
      },
    },
    bias: { kind: 'object', fields: { dtype: { kind: 'enum', values: BIAS_DTYPES } } },
    rounding: {
      kind: 'object',
      fields: { input: rounding, weight: rounding, bias: rounding, zeroPoint: rounding, requant: rounding },
    },
    requant: {
      kind: 'object',
      fields: {
        method: { kind: 'enum', values: REQUANT_METHODS },
        multiplierBits: { kind: 'number', integer: true, min: 2, max: 32 },
        dequantizeFirst: bool,
        reciprocalScales: bool,
      },
    },
    eltwise: {
      kind: 'object',
      fields: {
        style: { kind: 'enum', values: ['float', 'mlas', 'tflite', 'multiplier_shift', 'multiplier_shift_bm1684', 'multiplier_shift_float'] },
        leftShift: { kind: 'number', integer: true, min: 0, max: 30 },
        multiplierBits: { kind: 'number', integer: true, min: 2, max: 32 },
      },
    },
    ops: {
      kind: 'object',
      fields: {
        default: { kind: 'enum', values: OP_EXECUTIONS },
        byOp: { kind: 'record', key: 'opType', of: { kind: 'enum', values: OP_EXECUTIONS } },
      },
    },
    fusedActivations: { kind: 'array', of: { kind: 'enum', values: FUSABLE_ACTIVATIONS } },
    calibration: {
      kind: 'object',
      fields: {
        method: { kind: 'enum', values: ['minmax', 'percentile', 'kl', 'mse'] },
        percentile: { kind: 'number', min: 0, max: 100, exclusiveMin: true },
        bins: { kind: 'number', integer: true, min: 2 },
        movingAverage: { kind: 'number', min: 0, max: 1 },
      },
    },
    hybrid: {
      kind: 'object',
      fields: {
        precisions: { kind: 'array', of: { kind: 'enum', values: PRECISIONS }, nonEmpty: true },
        vendorNames: { kind: 'record', key: 'precision', of: str },
      },
    },
    sources: { kind: 'array', of: { kind: 'oneOf', options: [str, source], expected: 'a source id or { id, title, url }' } },
    claims: {
      kind: 'array',
      of: {
        kind: 'object',
        fields: {
          path: str,
          verified: { kind: 'enum', values: ['source', 'inferred'] },
          sources: { kind: 'array', of: str },
          note: str,
        },
      },
    },
    notes: { kind: 'array', of: str },
    hooks: {
      kind: 'object',
      fields: { fuseActivation: { kind: 'function' }, opExecution: { kind: 'function' } },
    },
  },
};
