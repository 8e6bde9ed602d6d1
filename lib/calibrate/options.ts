/**
 * Calibration method names and their options, with defaults and validation.
 */
import { NpuqError } from '../errors';
import { closest, describeValue } from '../quantize/suggest';

/**
 * How a tensor's float range is chosen from its statistics.
 * - `minmax`: observed [min, max].
 * - `ema`: moving-average [emaMin, emaMax] (RKNN-Toolkit1, onnxruntime `moving_average`).
 * - `percentile`: |x| threshold below which `percentile`% of the elements lie.
 * - `kl`: TensorRT entropy calibration (see kl.ts).
 * - `mse`: threshold minimizing the expected quantization error (see mse.ts).
 * - `auto`: TPU-MLIR-style tuning between the KL threshold and |x|max, scored by a caller-supplied
 *   evaluation of the quantized model (see autotune.ts).
 */
export type CalibrationMethod = 'minmax' | 'ema' | 'percentile' | 'kl' | 'mse' | 'auto';

/** Methods that compute a symmetric |x| threshold from the histogram. */
export type ThresholdMethod = Exclude<CalibrationMethod, 'minmax' | 'ema' | 'auto'>;

/** Every method, in documentation order. */
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'ema', 'percentile', 'kl', 'mse', 'auto'];

/** Options of the histogram methods. */
export interface MethodOptions {
  /** Percentile in percent for `percentile`, in (0, 100]. Default 99.999 (onnxruntime). */
  percentile?: number;
  /**
   * KL: number of quantization levels of |x| (128 for int8: 127 magnitudes plus zero, the sign
   * aside); the candidate search starts at this many histogram bins (TensorRT, PPQ). Default 128.
   */
  klTargetBins?: number;
  /**
   * KL: step between candidate bin counts. 1 tries every candidate (TensorRT pytorch-quantization);
   * PPQ and TPU-MLIR step by the target bins (128). Default 1.
   */
  klStride?: number;
  /**
   * MSE: integer levels of the target type spanning the quantized range: 256 for 8 bits, 255 for a
   * narrow signed range, 65536 for 16 bits. Default 256.
   */
  levels?: number;
}

/** Options with defaults filled in. */
export type ResolvedMethodOptions = Required<MethodOptions>;

function invalid(message: string): never {
  throw new NpuqError('INVALID_ARGUMENT', message);
}

/** Checks a method name; throws listing the valid names (and the closest one). */
export function checkMethod(method: unknown, what = 'the calibration method'): CalibrationMethod {
  if (typeof method === 'string' && (CALIBRATION_METHODS as readonly string[]).includes(method)) return method as CalibrationMethod;
  const hint = typeof method === 'string' ? closest(method, CALIBRATION_METHODS) : undefined;
  invalid(`Expected one of ${CALIBRATION_METHODS.join(', ')} for ${what} but received ${describeValue(method)}` +
    (hint !== undefined ? ` (did you mean '${hint}'?)` : ''));
}

function integerOption(v: unknown, name: string, min: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) invalid(`Expected an integer >= ${min} for ${name} but received ${describeValue(v)}`);
  return v;
}

/** Validates options and fills the defaults. */
export function resolveMethodOptions(opts: MethodOptions | undefined): ResolvedMethodOptions {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
    invalid(`Expected an options object for calibration but received ${describeValue(opts)}`);
  }
  const o = opts ?? {};
  const percentile = o.percentile ?? 99.999;
  if (typeof percentile !== 'number' || !(percentile > 0 && percentile <= 100)) {
    invalid(`Expected a percentile in (0, 100] (percent, e.g. 99.99) but received ${describeValue(percentile)}`);
  }
  return {
    percentile,
    klTargetBins: integerOption(o.klTargetBins, 'klTargetBins', 2, 128),
    klStride: integerOption(o.klStride, 'klStride', 1, 1),
    levels: integerOption(o.levels, 'levels', 2, 256),
  };
}
