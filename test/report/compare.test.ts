import { Tensor } from '../../lib/ir/tensor';
import { numberToHalf } from '../../lib/ir/ops/numeric';
import { compareArrays, DEFAULT_ATOL, DEFAULT_RTOL } from '../../lib/report';

describe('compareArrays', () => {
  it('applies the numpy.allclose rule |a - b| <= atol + rtol * |b| with b the reference', () => {
    expect([DEFAULT_ATOL, DEFAULT_RTOL]).toEqual([1e-4, 1e-3]);
    // At b = 1000 the allowance is 1e-4 + 1 = 1.0001; it is not symmetric in a and b.
    const r = compareArrays([1001, 0, 0.5], [1000, 0.00009, 0.5]);
    expect(r.failing).toBe(0);
    expect(r.allClose).toBe(true);
    // With rtol 0.0009995 the allowance is 1.0006 at b = 1001 but 0.9996 at b = 1000.
    expect(compareArrays([1000], [1001], { rtol: 0.0009995 }).allClose).toBe(true);
    const swapped = compareArrays([1001], [1000], { rtol: 0.0009995 });
    expect(swapped.failing).toBe(1);
    expect(swapped.firstFailing[0]).toEqual({ index: [0], flatIndex: 0, a: 1001, b: 1000, absError: 1 });
    expect(compareArrays([0.00021], [0], { atol: 2e-4 }).failing).toBe(1);
  });

  it('computes cosine, max/mean abs error and max rel error', () => {
    const a = Tensor.fromNumbers('float32', [2, 3], [1, 2, 3, 4, 5, 6.5]);
    const b = Tensor.fromNumbers('float64', [2, 3], [1, 2, 3, 4, 5, 6]);
    const r = compareArrays(a, b);
    const dot = 1 + 4 + 9 + 16 + 25 + 6.5 * 6;
    const cos = dot / (Math.sqrt(1 + 4 + 9 + 16 + 25 + 6.5 ** 2) * Math.sqrt(1 + 4 + 9 + 16 + 25 + 36));
    expect(r.cosine).toBeCloseTo(cos, 15);
    expect(r.maxAbsError).toBe(0.5);
    expect(r.maxAbsIndex).toEqual([1, 2]);
    expect(r.maxRelError).toBeCloseTo(0.5 / 6, 15);
    expect(r.meanAbsError).toBeCloseTo(0.5 / 6, 15);
    expect(r).toMatchObject({ shape: [2, 3], size: 6, failing: 1, failingShare: 1 / 6, allClose: false, nonFinite: 0 });
    expect(r.firstFailing).toEqual([{ index: [1, 2], flatIndex: 5, a: 6.5, b: 6, absError: 0.5 }]);
  });

  it('treats non-finite values as numpy does: NaN fails, equal infinities pass', () => {
    const r = compareArrays([NaN, Infinity, -Infinity, Infinity, 2], [NaN, Infinity, Infinity, 1, 2]);
    expect(r.failing).toBe(3);
    expect(r.nonFinite).toBe(3);
    expect(r.firstFailing.map((f) => f.flatIndex)).toEqual([0, 2, 3]);
    expect(r.maxAbsError).toBe(0);
    expect(r.cosine).toBe(1);
    expect(r.maxRelError).toBe(0); // b = 0 elements are left out of the relative error
    expect(compareArrays([1, 0], [0, 0]).maxRelError).toBe(0);
  });

  it('decodes float16 and handles empty and all-zero arrays', () => {
    const h = new Tensor('float16', [2], Uint16Array.from([numberToHalf(0.5), numberToHalf(-2)]));
    expect(compareArrays(h, [0.5, -2]).allClose).toBe(true);
    const e = compareArrays([], []);
    expect(e).toMatchObject({ size: 0, cosine: 1, failing: 0, failingShare: 0, allClose: true, maxAbsIndex: null });
    expect(compareArrays([0, 0], [0, 1]).cosine).toBe(0);
    expect(compareArrays([1, 2, 3], [1, 2, 3], { maxListed: 0 }).firstFailing).toEqual([]);
    expect(compareArrays([1, 2, 3], [3, 2, 1], { maxListed: 1 }).firstFailing).toHaveLength(1);
  });

  it('refuses different shapes and bad options with messages naming them', () => {
    const a = Tensor.zeros('float32', [1, 4]);
    expect(() => compareArrays(a, Tensor.zeros('float32', [4]))).toThrow('Cannot compare arrays of shape [1,4] and [4] (same number of elements: reshape one of them)');
    expect(() => compareArrays(a, [1, 2, 3])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(compareArrays(a, new Float32Array(4)).shape).toEqual([1, 4]);
    expect(() => compareArrays([1], [1], { atol: -1 })).toThrow('Expected a finite number >= 0 for options.atol but received number -1');
    expect(() => compareArrays([1], [1], { rtol: NaN })).toThrow(RangeError);
    expect(() => compareArrays('x' as never, [1])).toThrow('Expected a Tensor, a number array or a numeric typed array for the first array of compareArrays but received the string "x"');
  });
});
