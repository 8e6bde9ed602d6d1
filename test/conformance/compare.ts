/**
 * Output comparison as onnx/backend/test/runner does it (`assert_similar_outputs`): dtype and shape
 * must match; float outputs must satisfy numpy.testing.assert_allclose(actual, expected, rtol, atol)
 * — |actual - expected| <= atol + rtol * |expected|, NaN equal to NaN, an infinity equal only to the
 * same infinity —; integer, bool and string outputs must be equal.
 */
import { Tensor } from '../../lib/ir/tensor';

/** Tolerances of onnx/backend/test/runner (`rtol=1e-3, atol=1e-7`). */
export const RTOL = 1e-3;
export const ATOL = 1e-7;

/** float16 bits -> number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 0x1f) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** bfloat16 bits -> number. */
export function bfloatToFloat(h: number): number {
  const buf = new Float32Array(1);
  new Uint32Array(buf.buffer)[0] = (h & 0xffff) << 16;
  return buf[0];
}

/** Elements of a float tensor as numbers (float16/bfloat16 decoded from their bits). */
function floatValues(t: Tensor): ArrayLike<number> {
  if (t.dtype === 'float16') return Array.from(t.data as Uint16Array, halfToFloat);
  if (t.dtype === 'bfloat16') return Array.from(t.data as Uint16Array, bfloatToFloat);
  return t.data as Float32Array | Float64Array;
}

export interface Comparison {
  ok: boolean;
  /** What differs (dtype, shape, or the worst element), when not ok. */
  reason?: string;
  maxAbs: number;
  /** Elements outside the tolerance. */
  mismatches: number;
}

const FLOAT_DTYPES = new Set(['float32', 'float64', 'float16', 'bfloat16']);

export function fmt(x: number | bigint | string): string {
  if (typeof x === 'number') return Number.isInteger(x) ? String(x) : x.toPrecision(7);
  return typeof x === 'string' ? JSON.stringify(x) : String(x);
}

function indexToCoord(i: number, shape: readonly number[]): string {
  const c: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    c.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return `[${c.join(',')}]`;
}

/**
 * numpy.testing.assert_allclose(actual, expected, rtol, atol) for float dtypes (equal_nan=True),
 * exact equality otherwise; dtype and shape must match.
 */
export function compareTensors(actual: Tensor, expected: Tensor, rtol = RTOL, atol = ATOL): Comparison {
  if (actual.dtype !== expected.dtype) {
    return { ok: false, reason: `dtype ${actual.dtype}, expected ${expected.dtype}`, maxAbs: NaN, mismatches: -1 };
  }
  const sa = actual.shape.join(',');
  const se = expected.shape.join(',');
  if (sa !== se) return { ok: false, reason: `shape [${sa}], expected [${se}]`, maxAbs: NaN, mismatches: -1 };
  let maxAbs = 0;
  let mismatches = 0;
  let worst = -1;
  let worstExcess = -Infinity;
  if (FLOAT_DTYPES.has(expected.dtype)) {
    const a = floatValues(actual);
    const e = floatValues(expected);
    for (let i = 0; i < e.length; i++) {
      const x = a[i];
      const y = e[i];
      if (Number.isNaN(x) || Number.isNaN(y)) {
        if (Number.isNaN(x) && Number.isNaN(y)) continue;
        mismatches++;
        if (worstExcess < Infinity) { worst = i; worstExcess = Infinity; }
        maxAbs = NaN;
        continue;
      }
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        if (x === y) continue;
        mismatches++;
        if (worstExcess < Infinity) { worst = i; worstExcess = Infinity; }
        if (!Number.isNaN(maxAbs)) maxAbs = Infinity;
        continue;
      }
      const d = Math.abs(x - y);
      if (d > maxAbs) maxAbs = d;  // stays NaN / Infinity once set
      const excess = d - (atol + rtol * Math.abs(y));
      if (excess > 0) {
        mismatches++;
        if (excess > worstExcess) { worst = i; worstExcess = excess; }
      }
    }
    if (mismatches === 0) return { ok: true, maxAbs, mismatches };
    return {
      ok: false, maxAbs, mismatches,
      reason: `${mismatches}/${e.length} elements differ beyond rtol ${rtol}, atol ${atol}; max abs err ${fmt(maxAbs)}; ` +
        `worst at ${indexToCoord(worst, expected.shape)}: got ${fmt(a[worst])}, expected ${fmt(e[worst])}`,
    };
  }
  const a = actual.data as ArrayLike<number | bigint | string>;
  const e = expected.data as ArrayLike<number | bigint | string>;
  for (let i = 0; i < e.length; i++) {
    if (a[i] !== e[i]) {
      mismatches++;
      if (worst < 0) worst = i;
      if (typeof a[i] !== 'string') {
        const d = Math.abs(Number(a[i]) - Number(e[i]));
        if (d > maxAbs) maxAbs = d;
      }
    }
  }
  if (mismatches === 0) return { ok: true, maxAbs: 0, mismatches };
  return {
    ok: false, maxAbs, mismatches,
    reason: `${mismatches}/${e.length} ${expected.dtype} elements differ (exact comparison); ` +
      `first at ${indexToCoord(worst, expected.shape)}: got ${fmt(a[worst])}, expected ${fmt(e[worst])}`,
  };
}
