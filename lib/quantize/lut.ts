/**
 * Lookup tables for non-linear ops on quantized values, the way NPUs run Sigmoid, Tanh, HardSwish,
 * ... on integers: every input code is dequantized, the float function applied (in float64), and
 * the result quantized to the output parameters with the profile's rounding. The table layout is the
 * engine's `Lut` op (native/include/npuq/qkernels.h): entry i holds the output for the input whose
 * bit pattern, read as unsigned, is i (int8: codes 0..127 at 0..127, -128..-1 at 128..255).
 */
import { NpuqError } from '../errors';
import type { ActivationDType, RoundingMode } from './profile';
import { roundMode } from './rounding';

/** Quantization of one side of a table: real = (q - zeroPoint) * scale. */
export interface LutSide {
  dtype: ActivationDType;
  scale: number;
  zeroPoint: number;
}

const RANGE: Readonly<Record<ActivationDType, [number, number]>> = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767],
};

/**
 * Builds the table of `fn` from `input` to `output` quantization. `rounding` defaults to
 * 'half_to_even'. Input and output must have the same width (8 or 16 bits).
 * @returns a typed array of the output dtype with 256 or 65536 entries.
 */
export function buildLut(
  fn: (x: number) => number,
  input: LutSide,
  output: LutSide,
  rounding: RoundingMode = 'half_to_even',
): Int8Array | Uint8Array | Int16Array | Uint16Array {
  for (const [side, what] of [[input, 'input'], [output, 'output']] as const) {
    if (!(side.dtype in RANGE)) throw new NpuqError('INVALID_ARGUMENT', `Expected uint8, int8, uint16 or int16 for the ${what} dtype of a lookup table but received ${String(side.dtype)}`);
    if (!(side.scale > 0) || !Number.isFinite(side.scale)) throw new NpuqError('INVALID_ARGUMENT', `Expected a positive finite ${what} scale for a lookup table but received ${side.scale}`);
    const [lo, hi] = RANGE[side.dtype];
    if (!Number.isInteger(side.zeroPoint) || side.zeroPoint < lo || side.zeroPoint > hi) {
      throw new NpuqError('INVALID_ARGUMENT', `Expected an integer ${what} zero point in [${lo}, ${hi}] but received ${side.zeroPoint}`);
    }
  }
  const wide = input.dtype.endsWith('16');
  if (wide !== output.dtype.endsWith('16')) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected input and output of the same width for a lookup table but received ${input.dtype} and ${output.dtype}`);
  }
  const entries = wide ? 65536 : 256;
  const bits = wide ? 16 : 8;
  const [inLo] = RANGE[input.dtype];
  const [outLo, outHi] = RANGE[output.dtype];
  const table = output.dtype === 'int8' ? new Int8Array(entries) : output.dtype === 'uint8' ? new Uint8Array(entries)
    : output.dtype === 'int16' ? new Int16Array(entries) : new Uint16Array(entries);
  for (let i = 0; i < entries; i++) {
    // The input code whose unsigned bit pattern is i.
    const q = inLo < 0 && i >= entries / 2 ? i - (1 << bits) : i;
    const y = fn((q - input.zeroPoint) * input.scale);
    let v: number;
    if (Number.isNaN(y)) v = output.zeroPoint;
    else if (y === Infinity) v = outHi;
    else if (y === -Infinity) v = outLo;
    else v = roundMode(y / output.scale, rounding) + output.zeroPoint;
    table[i] = Math.min(outHi, Math.max(outLo, v));
  }
  return table;
}

/** Float definitions of the ops NPUs usually run through tables (ONNX semantics, default attributes). */
export const LUT_FUNCTIONS: Readonly<Record<string, (x: number) => number>> = {
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: Math.tanh,
  HardSigmoid: (x) => Math.max(0, Math.min(1, 0.2 * x + 0.5)),
  HardSwish: (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
  Exp: Math.exp,
  Softplus: (x) => Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0),
  Elu: (x) => (x > 0 ? x : Math.expm1(x)),
  LeakyRelu: (x) => (x >= 0 ? x : 0.01 * x),
};
