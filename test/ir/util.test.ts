import { Node } from '../../lib/ir/graph';
import { erf } from '../../lib/ir/ops/elementwise';
import {
  bfloat16ToNumber, castTensor, halfToNumber, numberToBfloat16, numberToHalf, roundHalfEven,
} from '../../lib/ir/ops/numeric';
import {
  broadcastIndexMap, broadcastShapes, checkUnidirectional, dimProduct, divideProducts, multiplyDims, normalizeAxis,
  transposeIndexMap,
} from '../../lib/ir/ops/util';
import { Tensor } from '../../lib/ir/tensor';
import { NpuqError } from '../../lib/errors';

const node = new Node('n', 'Add', ['a', 'b'], ['c']);

describe('broadcastShapes', () => {
  it('follows numpy multidirectional broadcasting', () => {
    expect(broadcastShapes(node, [[2, 3, 4, 5], [5]])).toEqual([2, 3, 4, 5]);
    expect(broadcastShapes(node, [[4, 5], [2, 3, 4, 5]])).toEqual([2, 3, 4, 5]);
    expect(broadcastShapes(node, [[1, 4, 5], [2, 3, 1, 1]])).toEqual([2, 3, 4, 5]);
    expect(broadcastShapes(node, [[3, 4, 5], [2, 1, 1, 1]])).toEqual([2, 3, 4, 5]);
    expect(broadcastShapes(node, [[], [2, 3]])).toEqual([2, 3]);
  });

  it('keeps symbolic dims when they agree and prefers concrete ones', () => {
    expect(broadcastShapes(node, [['N', 3, 'H'], ['N', 1, 1]])).toEqual(['N', 3, 'H']);
    expect(broadcastShapes(node, [['N', 3], [1, 3]])).toEqual(['N', 3]);
    expect(broadcastShapes(node, [['N', 3], [5, 3]])).toEqual([5, 3]);
    expect(broadcastShapes(node, [['N', 3], ['M', 3]])).toEqual([undefined, 3]);
    expect(broadcastShapes(node, [[undefined, 3], [1, 3]])).toEqual([undefined, 3]);
    expect(broadcastShapes(node, [undefined, [1, 3]])).toBeUndefined();
  });

  it('throws INVALID_MODEL naming the node for incompatible shapes', () => {
    expect(() => broadcastShapes(node, [[2, 3], [4, 3]])).toThrow(/Add "n": cannot broadcast shapes \[2,3\] and \[4,3\]/);
    try {
      broadcastShapes(node, [[2, 3], [4, 3]]);
    } catch (e) {
      expect((e as NpuqError).code).toBe('INVALID_MODEL');
    }
  });

  it('checks unidirectional broadcasting', () => {
    expect(() => checkUnidirectional(node, [2, 3, 4], [3, 1], 'slope')).not.toThrow();
    expect(() => checkUnidirectional(node, [2, 3, 4], [3], 'slope')).toThrow(/slope of shape \[3\] does not broadcast to \[2,3,4\]/);
    expect(() => checkUnidirectional(node, [4], [2, 4], 'C')).toThrow(/does not broadcast/);
  });
});

describe('dims arithmetic', () => {
  it('multiplies dims keeping a lone symbol', () => {
    expect(multiplyDims([2, 3, 4])).toBe(24);
    expect(multiplyDims(['N', 1, 1])).toBe('N');
    expect(multiplyDims(['N', 2])).toBeUndefined();
    expect(multiplyDims([])).toBe(1);
  });

  it('divides products cancelling symbols', () => {
    expect(divideProducts(dimProduct(['N', 3, 4]), dimProduct(['N', 2]))).toBe(6);
    expect(divideProducts(dimProduct(['N', 'T', 4]), dimProduct([4, 'T']))).toBe('N');
    expect(divideProducts(dimProduct([10]), dimProduct([3]))).toBeNull();
    expect(divideProducts(dimProduct(['N', 4]), dimProduct(['M']))).toBeUndefined();
  });

  it('normalizes axes and rejects out-of-range ones', () => {
    expect(normalizeAxis(node, -1, 4)).toBe(3);
    expect(() => normalizeAxis(node, 4, 4)).toThrow(/axis 4 is out of range for a tensor of rank 4; use a value in \[-4, 3\]/);
  });
});

describe('index maps', () => {
  it('maps broadcast and transposed indices', () => {
    expect(Array.from(broadcastIndexMap([2, 3], [3]))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(Array.from(broadcastIndexMap([2, 3], [2, 1]))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(transposeIndexMap([2, 3], [1, 0]))).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

describe('float16 and bfloat16', () => {
  it('encodes with round-to-nearest-even, subnormals and overflow', () => {
    expect(numberToHalf(1)).toBe(0x3c00);
    expect(numberToHalf(-2)).toBe(0xc000);
    expect(numberToHalf(65504)).toBe(0x7bff);
    expect(numberToHalf(65520)).toBe(0x7c00); // halfway to 65536 rounds to even → overflow
    expect(numberToHalf(65519)).toBe(0x7bff);
    expect(numberToHalf(2 ** -24)).toBe(0x0001);
    expect(numberToHalf(2 ** -25)).toBe(0x0000); // tie rounds to even (zero)
    expect(numberToHalf(1.5 * 2 ** -24)).toBe(0x0002); // tie rounds to even (2)
    expect(numberToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(numberToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(numberToHalf(0.1)).toBe(0x2e66);
    expect(numberToHalf(NaN) & 0x7c00).toBe(0x7c00);
    expect(numberToHalf(-0)).toBe(0x8000);
    expect(numberToHalf(-Infinity)).toBe(0xfc00);
  });

  it('decodes every half value back to itself', () => {
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const v = halfToNumber(h);
      if (!Number.isNaN(v) && numberToHalf(v) !== h) bad.push(h);
    }
    expect(bad).toEqual([]);
  });

  it('rounds bfloat16 to nearest even', () => {
    expect(numberToBfloat16(1)).toBe(0x3f80);
    expect(bfloat16ToNumber(0x3f80)).toBe(1);
    expect(bfloat16ToNumber(numberToBfloat16(0.478515625 + 2 ** -10))).toBe(0.48046875);
  });
});

describe('roundHalfEven and erf', () => {
  it('rounds halves to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, -3]);
  });

  it('computes erf to double precision', () => {
    expect(erf(0)).toBe(0);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(-2)).toBeCloseTo(-0.9953222650189527, 14);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
  });
});

describe('castTensor', () => {
  it('truncates floats toward zero when casting to integers', () => {
    const x = Tensor.fromNumbers('float32', [4], [1.7, -1.7, 2.5, -0.2]);
    expect(castTensor(x, 'int32').toNumbers()).toEqual([1, -1, 2, 0]);
    expect(castTensor(x, 'int64').toNumbers()).toEqual([1, -1, 2, 0]);
    expect(castTensor(x, 'int8').toNumbers()).toEqual([1, -1, 2, 0]);
  });

  it('casts to and from bool', () => {
    const x = Tensor.fromNumbers('float32', [3], [0, -0.5, 3]);
    expect(castTensor(x, 'bool').toNumbers()).toEqual([0, 1, 1]);
    const b = castTensor(x, 'bool');
    expect(castTensor(b, 'float32').toNumbers()).toEqual([0, 1, 1]);
    expect(castTensor(Tensor.fromNumbers('int64', [2], [0, 7]), 'bool').toNumbers()).toEqual([0, 1]);
  });

  it('casts float32 to float16 with correct rounding', () => {
    const x = Tensor.fromNumbers('float32', [3], [0.1, 65520, 1 + 2 ** -11]);
    expect(Array.from(castTensor(x, 'float16').data as Uint16Array)).toEqual([0x2e66, 0x7c00, 0x3c00]);
    expect(castTensor(castTensor(x, 'float16'), 'float32').toNumbers()).toEqual([Math.fround(halfToNumber(0x2e66)), Infinity, 1]);
  });

  it('wraps int64 to narrower integers exactly', () => {
    const x = new Tensor('int64', [3], BigInt64Array.from([2n ** 40n + 5n, -1n, 2n ** 31n]));
    expect(castTensor(x, 'int32').toNumbers()).toEqual([5, -1, -(2 ** 31)]);
    expect(castTensor(x, 'uint8').toNumbers()).toEqual([5, 255, 0]);
  });

  it('declines string casts with UNSUPPORTED', () => {
    expect(() => castTensor(new Tensor('string', [1], ['1']), 'float32')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });
});
