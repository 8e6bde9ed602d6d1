/**
 * Element-wise comparison of two arrays (typically a float or quantized output against a reference):
 * the numpy.allclose rule `|a - b| <= atol + rtol * |b|` (b is the reference), with the defaults of
 * the Pulsar2 guide (atol 1e-4, rtol 1e-3), plus the summary figures users look at.
 */
import { NpuqError } from '../errors';
import { describeValue } from '../io/bytes';
import { toFloat64 } from '../ir/ops/numeric';
import { Tensor } from '../ir/tensor';

/** Default absolute tolerance (Pulsar2 guide). */
export const DEFAULT_ATOL = 1e-4;
/** Default relative tolerance (Pulsar2 guide). */
export const DEFAULT_RTOL = 1e-3;

export interface CompareOptions {
  /** Absolute tolerance, a finite number >= 0. Default 1e-4. */
  atol?: number;
  /** Relative tolerance (times |b|), a finite number >= 0. Default 1e-3. */
  rtol?: number;
  /** How many failing elements to list in `firstFailing`, in index order. Default 10. */
  maxListed?: number;
}

/** One element that fails the tolerance. */
export interface CompareFailure {
  /** Multi-dimensional index (row-major). */
  index: number[];
  flatIndex: number;
  a: number;
  b: number;
  /** |a - b| (Infinity when exactly one is non-finite or they are infinities of opposite sign; NaN when one is NaN). */
  absError: number;
}

export interface CompareResult {
  shape: number[];
  /** Number of elements. */
  size: number;
  atol: number;
  rtol: number;
  /** Σab / (‖a‖ ‖b‖) over the elements where both are finite; 1 when both are all zeros, 0 when only one is. */
  cosine: number;
  /** Largest |a - b| over the elements where both are finite (0 when there are none). */
  maxAbsError: number;
  /** Where maxAbsError is reached (null when no element is finite in both). */
  maxAbsIndex: number[] | null;
  /** Largest |a - b| / |b| over the elements where both are finite and b != 0. */
  maxRelError: number;
  /** Mean |a - b| over the elements where both are finite. */
  meanAbsError: number;
  /** Elements where a or b is NaN or infinite and they differ (they always fail; equal infinities pass, as in numpy). */
  nonFinite: number;
  /** Elements failing `|a - b| <= atol + rtol * |b|`; NaN always fails. */
  failing: number;
  /** failing / size (0 for empty arrays). */
  failingShare: number;
  /** True when no element fails. */
  allClose: boolean;
  /** The first failing elements in index order (at most `maxListed`). */
  firstFailing: CompareFailure[];
}

function expectTolerance(v: unknown, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`Expected a finite number >= 0 for ${what} but received ${describeValue(v)}`);
  }
  return v;
}

function asValues(x: unknown, what: string): { values: ArrayLike<number>; shape: number[] | undefined } {
  if (x instanceof Tensor) {
    if (x.dtype === 'string') throw new NpuqError('INVALID_ARGUMENT', `Cannot compare ${what}: it is a string tensor`);
    return { values: toFloat64(x), shape: [...x.shape] };
  }
  if (Array.isArray(x)) {
    if (!x.every((v) => typeof v === 'number')) throw new TypeError(`Expected an array of numbers for ${what} but received an array holding ${describeValue(x.find((v) => typeof v !== 'number'))}`);
    return { values: x as number[], shape: undefined };
  }
  if (ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array)) {
    return { values: x as unknown as ArrayLike<number>, shape: undefined };
  }
  throw new TypeError(`Expected a Tensor, a number array or a numeric typed array for ${what} but received ${describeValue(x)}`);
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k];
    idx[k] = d > 0 ? flat % d : 0;
    flat = d > 0 ? Math.floor(flat / d) : 0;
  }
  return idx;
}

/**
 * Compares `a` with the reference `b` element by element. Tensors must have the same shape; plain
 * arrays (number[] or typed arrays) the same length, and take the tensor's shape when mixed with one.
 * Float16/bfloat16 tensors are decoded; integers compare as their values.
 *
 * Errors: SHAPE_MISMATCH naming both shapes; TypeError / RangeError for misuse.
 *
 * @param a - The array under test.
 * @param b - The reference (the relative tolerance scales with |b|, as numpy.allclose).
 * @param options - Tolerances; see {@link CompareOptions}.
 */
export function compareArrays(a: Tensor | ArrayLike<number>, b: Tensor | ArrayLike<number>, options: CompareOptions = {}): CompareResult {
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected an options object for compareArrays but received ${describeValue(options)}`);
  const atol = expectTolerance(options.atol, 'options.atol', DEFAULT_ATOL);
  const rtol = expectTolerance(options.rtol, 'options.rtol', DEFAULT_RTOL);
  const maxListed = options.maxListed ?? 10;
  if (!Number.isSafeInteger(maxListed) || maxListed < 0) {
    throw new RangeError(`Expected an integer >= 0 for options.maxListed but received ${describeValue(options.maxListed)}`);
  }
  const A = asValues(a, 'the first array of compareArrays');
  const B = asValues(b, 'the second array of compareArrays');
  const shapeA = A.shape ?? [A.values.length];
  const shapeB = B.shape ?? [B.values.length];
  const shape = A.shape ?? B.shape ?? shapeA;
  const sameShape = A.shape && B.shape ? shapeA.length === shapeB.length && shapeA.every((d, i) => d === shapeB[i]) : A.values.length === B.values.length;
  if (!sameShape) {
    const hint = A.values.length === B.values.length ? ' (same number of elements: reshape one of them)' : '';
    throw new NpuqError('SHAPE_MISMATCH', `Cannot compare arrays of shape [${shapeA.join(',')}] and [${shapeB.join(',')}]${hint}`);
  }
  const n = A.values.length;
  let dot = 0, na = 0, nb = 0, sumAbs = 0, finiteCount = 0;
  let maxAbs = 0, maxAbsAt = -1, maxRel = 0, nonFinite = 0, failing = 0;
  const firstFailing: CompareFailure[] = [];
  for (let i = 0; i < n; i++) {
    const x = Number(A.values[i]);
    const y = Number(B.values[i]);
    let ok: boolean;
    let err: number;
    if (Number.isFinite(x) && Number.isFinite(y)) {
      err = Math.abs(x - y);
      ok = err <= atol + rtol * Math.abs(y);
      dot += x * y;
      na += x * x;
      nb += y * y;
      sumAbs += err;
      finiteCount++;
      if (err > maxAbs || maxAbsAt < 0) { maxAbs = err; maxAbsAt = i; }
      if (y !== 0 && err / Math.abs(y) > maxRel) maxRel = err / Math.abs(y);
    } else {
      ok = x === y; // equal infinities pass; NaN never equals
      err = ok ? 0 : Math.abs(x - y);
      if (!ok) nonFinite++;
    }
    if (!ok) {
      failing++;
      if (firstFailing.length < maxListed) firstFailing.push({ index: unravel(i, shape), flatIndex: i, a: x, b: y, absError: err });
    }
  }
  const cosine = na === 0 && nb === 0 ? 1 : na === 0 || nb === 0 ? 0 : dot / (Math.sqrt(na) * Math.sqrt(nb));
  return {
    shape: [...shape], size: n, atol, rtol,
    cosine,
    maxAbsError: maxAbs,
    maxAbsIndex: maxAbsAt < 0 ? null : unravel(maxAbsAt, shape),
    maxRelError: maxRel,
    meanAbsError: finiteCount === 0 ? 0 : sumAbs / finiteCount,
    nonFinite,
    failing,
    failingShare: n === 0 ? 0 : failing / n,
    allClose: failing === 0,
    firstFailing,
  };
}
