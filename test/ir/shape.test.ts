import { Tensor } from '../../lib/ir/tensor';
import { evaluate, f32, fs, i64, infer, nums, shapeOf, t } from './helpers';

const INT64_MAX = 9223372036854775807n;
const big = (v: bigint[]): Tensor => new Tensor('int64', [v.length], BigInt64Array.from(v));
const x = (shape: (number | string | undefined)[]) => t('float32', shape);
const iota = (shape: number[]): Tensor => f32(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i), shape);

describe('Shape and Size', () => {
  it('give int64 shapes with symbolic values', () => {
    expect(infer('Shape', [x(['N', 3, 'H', 'W'])])[0]).toEqual({ dtype: 'int64', shape: [4], symbolic: ['N', 3, 'H', 'W'] });
    expect(infer('Shape', [x([2, 3, 4])], { start: 1 }, { opset: 15 })[0].symbolic).toEqual([3, 4]);
    expect(infer('Shape', [x([2, 3, 4])], { start: -1 }, { opset: 15 })[0].symbolic).toEqual([4]);
    expect(infer('Shape', [x([2, 3, 4])], { end: 10 }, { opset: 15 })[0].symbolic).toEqual([2, 3, 4]);
    expect(infer('Shape', [x([2, 3, 4])], { start: 2, end: 1 }, { opset: 15 })[0].shape).toEqual([0]);
    expect(infer('Size', [x([2, 3, 4])])[0]).toEqual({ dtype: 'int64', shape: [], symbolic: [24] });
    expect(infer('Size', [x(['N', 1])])[0].symbolic).toEqual(['N']);
  });
});

describe('Reshape', () => {
  it('handles 0, -1 and allowzero (spec examples)', () => {
    const d = x([2, 3, 4]);
    expect(shapeOf('Reshape', [d, i64([4, 2, 3])])).toEqual([4, 2, 3]);
    expect(shapeOf('Reshape', [d, i64([2, -1, 2])])).toEqual([2, 6, 2]);
    expect(shapeOf('Reshape', [d, i64([-1, 2, 3, 4])])).toEqual([1, 2, 3, 4]);
    expect(shapeOf('Reshape', [d, i64([2, 0, 4, 1])])).toEqual([2, 3, 4, 1]);
    expect(shapeOf('Reshape', [d, i64([2, 0, 1, -1])])).toEqual([2, 3, 1, 4]);
    expect(shapeOf('Reshape', [d, i64([6, -1])])).toEqual([6, 4]);
    expect(shapeOf('Reshape', [x([0, 3, 4]), i64([3, 4, 0])], { allowzero: 1 }, { opset: 14 })).toEqual([3, 4, 0]);
    expect(() => shapeOf('Reshape', [d, i64([5, -1])])).toThrow(/24 elements do not divide by 5/);
    expect(() => shapeOf('Reshape', [d, i64([5, 5])])).toThrow(/cannot reshape \[2,3,4\] \(24 elements\) to \[5,5\]/);
    expect(() => shapeOf('Reshape', [d, i64([-1, -1])])).toThrow(/more than one -1/);
  });

  it('keeps symbolic dims through 0 and -1', () => {
    expect(shapeOf('Reshape', [x(['N', 3, 4]), i64([0, -1])])).toEqual(['N', 12]);
    expect(shapeOf('Reshape', [x(['N', 'T', 64]), i64([-1, 64])])).toEqual([undefined, 64]);
    expect(shapeOf('Reshape', [x(['N', 'T', 64]), i64([0, 0, 8, 8])])).toEqual(['N', 'T', 8, 8]);
    expect(shapeOf('Reshape', [x(['N', 'T', 64]), t('int64', [3], ['N', -1, 8])])).toEqual(['N', undefined, 8]);
    expect(shapeOf('Reshape', [x(['N', 3, 4]), t('int64', [3])])).toEqual([undefined, undefined, undefined]);
  });

  it('folds', () => {
    const [y] = evaluate('Reshape', [iota([2, 3]), i64([3, -1])]);
    expect(y.shape).toEqual([3, 2]);
    expect(nums(y)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('Flatten, Squeeze, Unsqueeze, Transpose', () => {
  it('flattens at every axis', () => {
    const d = x([2, 3, 4, 5]);
    expect([0, 1, 2, 3, 4, -1].map((axis) => shapeOf('Flatten', [d], { axis }))).toEqual([[1, 120], [2, 60], [6, 20], [24, 5], [120, 1], [24, 5]]);
    expect(shapeOf('Flatten', [x(['N', 64, 1, 1])])).toEqual(['N', 64]);
  });

  it('squeezes with attribute (< 13) or input axes', () => {
    expect(shapeOf('Squeeze', [x([1, 3, 4, 5]), i64([0])])).toEqual([3, 4, 5]);
    expect(shapeOf('Squeeze', [x([1, 3, 1, 5]), i64([-2])])).toEqual([1, 3, 5]);
    expect(shapeOf('Squeeze', [x([1, 3, 1, 5])])).toEqual([3, 5]);
    expect(shapeOf('Squeeze', [x([1, 3, 1, 5])], { axes: [0, 2] }, { opset: 11 })).toEqual([3, 5]);
    expect(() => shapeOf('Squeeze', [x([2, 3]), i64([0])])).toThrow(/cannot squeeze axis 0 of \[2,3\]: its size is 2, not 1/);
  });

  it('unsqueezes with attribute (< 13) or input axes', () => {
    expect(shapeOf('Unsqueeze', [x([3, 4, 5]), i64([0, 4])])).toEqual([1, 3, 4, 5, 1]);
    expect(shapeOf('Unsqueeze', [x([3, 4, 5]), i64([5, 4, 2])])).toEqual([3, 4, 1, 5, 1, 1]);
    expect(shapeOf('Unsqueeze', [x([3, 4, 5]), i64([-2])])).toEqual([3, 4, 1, 5]);
    expect(shapeOf('Unsqueeze', [x([3, 4])], { axes: [1] }, { opset: 11 })).toEqual([3, 1, 4]);
    expect(infer('Unsqueeze', [t('int64', [], ['N']), i64([0])])[0].symbolic).toEqual(['N']);
    expect(() => shapeOf('Unsqueeze', [x([3]), i64([0, 0])])).toThrow(/repeats an axis/);
  });

  it('transposes with default and explicit perm', () => {
    expect(shapeOf('Transpose', [x([2, 3, 4])])).toEqual([4, 3, 2]);
    expect(shapeOf('Transpose', [x(['N', 3, 'H', 'W'])], { perm: [0, 2, 3, 1] })).toEqual(['N', 'H', 'W', 3]);
    expect(() => shapeOf('Transpose', [x([2, 3])], { perm: [0, 0] })).toThrow(/repeats an axis/);
    const [y] = evaluate('Transpose', [iota([2, 3])], { perm: [1, 0] });
    expect(nums(y)).toEqual([0, 3, 1, 4, 2, 5]);
  });
});

describe('Concat, Split, Slice, Gather', () => {
  it('concatenates and merges dims', () => {
    expect(shapeOf('Concat', [x([2, 3]), x([2, 5])], { axis: 1 })).toEqual([2, 8]);
    expect(shapeOf('Concat', [x(['N', 3]), x([2, 3])], { axis: 0 })).toEqual([undefined, 3]);
    expect(shapeOf('Concat', [x(['N', 3]), x(['N', 5])], { axis: -1 })).toEqual(['N', 8]);
    expect(() => shapeOf('Concat', [x([2, 3]), x([3, 5])], { axis: 1 })).toThrow(/dimensions 2 and 3 must be equal/);
    expect(infer('Concat', [t('int64', [1], ['N']), i64([-1, 64])], { axis: 0 })[0].symbolic).toEqual(['N', -1, 64]);
    const [y] = evaluate('Concat', [iota([2, 2]), f32([9, 9], [2, 1])], { axis: 1 });
    expect(nums(y)).toEqual([0, 1, 9, 2, 3, 9]);
  });

  it('splits by attribute, input, equal parts and num_outputs', () => {
    const d = x([2, 6]);
    expect(infer('Split', [d], { axis: 1 }, { nOut: 3 }).map((o) => o.shape)).toEqual([[2, 2], [2, 2], [2, 2]]);
    expect(infer('Split', [d, i64([2, 4])], { axis: 1 }, { nOut: 2 }).map((o) => o.shape)).toEqual([[2, 2], [2, 4]]);
    expect(infer('Split', [d], { axis: 1, split: [1, 5] }, { opset: 11, nOut: 2 }).map((o) => o.shape)).toEqual([[2, 1], [2, 5]]);
    expect(infer('Split', [x([7])], { num_outputs: 3 }, { opset: 18, nOut: 3 }).map((o) => o.shape)).toEqual([[3], [3], [1]]);
    expect(() => infer('Split', [x([7])], {}, { nOut: 2 })).toThrow(/cannot split an axis of size 7 into 2 equal parts/);
    expect(() => infer('Split', [d, i64([2, 3])], { axis: 1 }, { nOut: 2 })).toThrow(/sums to 5 but the axis has size 6/);
    const parts = evaluate('Split', [iota([2, 3]), i64([1, 2])], { axis: 1 }, { nOut: 2 });
    expect(parts.map(nums)).toEqual([[0, 3], [1, 2, 4, 5]]);
  });

  it('slices with negative, clamped and INT64_MAX bounds and steps', () => {
    const d = x([20, 10, 5]);
    expect(shapeOf('Slice', [d, i64([0, 0]), i64([3, 10]), i64([0, 1]), i64([1, 1])])).toEqual([3, 10, 5]);
    expect(shapeOf('Slice', [d, i64([0]), i64([-1]), i64([1])])).toEqual([20, 9, 5]);
    expect(shapeOf('Slice', [d, i64([1]), big([INT64_MAX]), i64([1])])).toEqual([20, 9, 5]);
    expect(shapeOf('Slice', [d, i64([0, 0, 3]), i64([20, 10, 4])])).toEqual([20, 10, 1]);
    expect(shapeOf('Slice', [d, i64([1000]), i64([1000]), i64([1])])).toEqual([20, 0, 5]);
    expect(shapeOf('Slice', [d, i64([20, 10, 4]), i64([0, 0, 1]), i64([0, 1, 2]), i64([-1, -3, -2])])).toEqual([19, 3, 2]);
    expect(shapeOf('Slice', [x(['N', 'L']), i64([0]), big([INT64_MAX]), i64([1])])).toEqual(['N', 'L']);
    expect(shapeOf('Slice', [x([20, 10])], { starts: [2], ends: [5], axes: [0] }, { opset: 9 })).toEqual([3, 10]);
    expect(() => shapeOf('Slice', [d, i64([0]), i64([1]), i64([0]), i64([0])])).toThrow(/steps must not contain 0/);
    const [y] = evaluate('Slice', [iota([2, 4]), i64([0, 3]), i64([2, 0]), i64([0, 1]), i64([1, -2])]);
    expect(nums(y)).toEqual([3, 1, 7, 5]);
    const [r] = evaluate('Slice', [iota([5]), i64([-1]), big([-INT64_MAX - 1n]), i64([0]), i64([-1])]);
    expect(nums(r)).toEqual([4, 3, 2, 1, 0]);
  });

  it('slices symbolic shape values', () => {
    expect(infer('Slice', [t('int64', [4], ['N', 3, 'H', 'W']), i64([2]), i64([4])])[0].symbolic).toEqual(['H', 'W']);
  });

  it('gathers along an axis (spec examples)', () => {
    expect(shapeOf('Gather', [x([5, 4, 3, 2]), t('int64', [3])], { axis: 0 })).toEqual([3, 4, 3, 2]);
    expect(shapeOf('Gather', [x([5, 4, 3, 2]), t('int64', [3])], { axis: 1 })).toEqual([5, 3, 3, 2]);
    expect(shapeOf('Gather', [x([3, 3]), t('int64', [1, 2])], { axis: 1 })).toEqual([3, 1, 2]);
    expect(infer('Gather', [t('int64', [4], ['N', 3, 'H', 'W']), i64([0], [])])[0]).toEqual({ dtype: 'int64', shape: [], symbolic: ['N'] });
    const [y] = evaluate('Gather', [iota([3, 2]), i64([0, 1, 1, 2], [2, 2])]);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(nums(y)).toEqual([0, 1, 2, 3, 2, 3, 4, 5]);
    expect(nums(evaluate('Gather', [iota([3, 3]), i64([-1])], { axis: 1 })[0])).toEqual([2, 5, 8]);
    expect(() => evaluate('Gather', [iota([3]), i64([3])])).toThrow(/index 3 is out of range for an axis of size 3/);
  });
});

describe('Expand, Tile, ConstantOfShape, Range', () => {
  it('expands bidirectionally', () => {
    expect(shapeOf('Expand', [x([3, 1]), i64([2, 1, 6])])).toEqual([2, 3, 6]);
    expect(shapeOf('Expand', [x([3, 1]), i64([3, 4])])).toEqual([3, 4]);
    expect(shapeOf('Expand', [x([3, 4]), i64([1])])).toEqual([3, 4]);
    const [y] = evaluate('Expand', [f32([1, 2, 3], [3, 1]), i64([2, 1, 2])]);
    expect(y.shape).toEqual([2, 3, 2]);
    expect(nums(y)).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
  });

  it('tiles', () => {
    expect(shapeOf('Tile', [x([2, 3]), i64([2, 1])])).toEqual([4, 3]);
    expect(shapeOf('Tile', [x(['N', 3]), i64([1, 2])])).toEqual(['N', 6]);
    expect(() => shapeOf('Tile', [x([2, 3]), i64([2])])).toThrow(/repeats has 1 values but the input has rank 2/);
    const [y] = evaluate('Tile', [f32([1, 2, 3, 4], [2, 2]), i64([2, 2])]);
    expect(nums(y)).toEqual([1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4]);
  });

  it('makes constants of a shape', () => {
    expect(infer('ConstantOfShape', [i64([4, 3, 2])])[0]).toEqual({ dtype: 'float32', shape: [4, 3, 2] });
    expect(infer('ConstantOfShape', [i64([2])], { value: i64([7], [1]) })[0].dtype).toBe('int64');
    expect(infer('ConstantOfShape', [t('int64', [2], ['N', 4])])[0].shape).toEqual(['N', 4]);
    expect(nums(evaluate('ConstantOfShape', [i64([2, 2])], { value: i64([7], [1]) })[0])).toEqual([7, 7, 7, 7]);
    expect(evaluate('ConstantOfShape', [i64([0])])[0].shape).toEqual([0]);
  });

  it('ranges (spec examples)', () => {
    expect(shapeOf('Range', [f32([1], []), f32([5], []), f32([2], [])])).toEqual([2]);
    expect(nums(evaluate('Range', [i64([10], []), i64([4], []), i64([-3], [])])[0])).toEqual([10, 7]);
    expect(nums(evaluate('Range', [f32([3], []), f32([9], []), f32([3], [])])[0])).toEqual([3, 6]);
    expect(shapeOf('Range', [t('int64', []), i64([5], []), i64([1], [])])).toEqual([undefined]);
  });
});

describe('Pad', () => {
  it('infers with pads as attribute (< 11) or input', () => {
    expect(shapeOf('Pad', [x([1, 3, 4, 5])], { pads: [0, 0, 1, 2, 0, 0, 3, 4] }, { opset: 10 })).toEqual([1, 3, 8, 11]);
    expect(shapeOf('Pad', [x([3, 2]), i64([0, 2, 0, 0])])).toEqual([3, 4]);
    expect(shapeOf('Pad', [x([3, 2]), i64([-1, 0, 0, 0])])).toEqual([2, 2]);
    expect(shapeOf('Pad', [x(['N', 3, 8]), i64([0, 0, 1, 0, 0, 1])])).toEqual(['N', 3, 10]);
    expect(shapeOf('Pad', [x([1, 3, 4, 5]), i64([1, 1]), undefined, i64([-1])], {}, { opset: 18 })).toEqual([1, 3, 4, 7]);
    expect(() => shapeOf('Pad', [x([3, 2]), i64([0, 2])])).toThrow(/pads has 2 values but must have 4/);
  });

  it('folds constant, reflect and edge modes (spec examples)', () => {
    const d = f32([1.0, 1.2, 2.3, 3.4, 4.5, 5.7], [3, 2]);
    const pads = i64([0, 2, 0, 0]);
    expect(nums(evaluate('Pad', [d, pads, f32([0], [])])[0])).toEqual([0, 0, 1, 1.2, 0, 0, 2.3, 3.4, 0, 0, 4.5, 5.7].map(Math.fround));
    const r = f32([1.0, 1.2, 2.3, 3.4, 4.5, 5.7], [3, 2]);
    expect(nums(evaluate('Pad', [r, pads], { mode: 'reflect' })[0])).toEqual([1, 1.2, 1, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7].map(Math.fround));
    expect(nums(evaluate('Pad', [r, pads], { mode: 'edge' })[0])).toEqual([1, 1, 1, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7].map(Math.fround));
    expect(nums(evaluate('Pad', [iota([3]), i64([2, 2])], { mode: 'reflect' })[0])).toEqual([2, 1, 0, 1, 2, 1, 0]);
    expect(nums(evaluate('Pad', [i64([1, 2]), i64([1, 1]), i64([9], [])])[0])).toEqual([9, 1, 2, 9]);
    expect(nums(evaluate('Pad', [iota([2])], { pads: [1, 0], value: 5 }, { opset: 10 })[0])).toEqual([5, 0, 1]);
  });
});

describe('Resize and Upsample', () => {
  const img = x([1, 3, 24, 32]);
  it('infers from scales or sizes across opsets', () => {
    expect(shapeOf('Resize', [img, f32([1, 1, 2, 2])], { mode: 'nearest' }, { opset: 10 })).toEqual([1, 3, 48, 64]);
    expect(shapeOf('Resize', [img, f32([]), f32([1, 1, 0.5, 0.5])], {}, { opset: 11 })).toEqual([1, 3, 12, 16]);
    expect(shapeOf('Resize', [img, f32([]), f32([]), i64([1, 3, 10, 10])], { mode: 'cubic' }, { opset: 11 })).toEqual([1, 3, 10, 10]);
    expect(shapeOf('Resize', [img, undefined, undefined, i64([1, 3, 10, 10])], { mode: 'linear' }, { opset: 13 })).toEqual([1, 3, 10, 10]);
    expect(shapeOf('Resize', [x([1, 1, 4, 4]), undefined, f32([1, 1, 0.6, 0.6])], {}, { opset: 13 })).toEqual([1, 1, 2, 2]);
    expect(shapeOf('Resize', [x(['N', 3, 'H', 'W']), undefined, f32([1, 1, 2, 2])], {}, { opset: 13 })).toEqual(['N', 3, undefined, undefined]);
    expect(shapeOf('Resize', [x([1, 1, 2, 4]), undefined, undefined, i64([7, 8])], { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' }, { opset: 18 })).toEqual([1, 1, 4, 8]);
    expect(shapeOf('Resize', [x([1, 1, 2, 2]), undefined, undefined, i64([7, 8])], { axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' }, { opset: 18 })).toEqual([1, 1, 8, 8]);
    expect(() => shapeOf('Resize', [img, undefined, f32([2, 2]), i64([1, 3, 4, 4])], {}, { opset: 13 })).toThrow(/has both scales and sizes/);
    expect(() => shapeOf('Resize', [img, undefined, f32([1, 1, 2, 2])], { mode: 'bilinear' }, { opset: 13 })).toThrow(/mode "bilinear" is not one of nearest, linear, cubic/);
    expect(() => shapeOf('Resize', [img, undefined, f32([1, 2, 2])], {}, { opset: 13 })).toThrow(/scales has 3 values but must have 4/);
  });

  it('infers Upsample from the scales attribute (7) or input (9)', () => {
    expect(shapeOf('Upsample', [img], { scales: fs([1, 1, 2, 3]) }, { opset: 7 })).toEqual([1, 3, 48, 96]);
    expect(shapeOf('Upsample', [img, f32([1, 1, 2, 2])], {}, { opset: 9 })).toEqual([1, 3, 48, 64]);
  });
});

describe('DepthToSpace and SpaceToDepth', () => {
  it('infer and fold (spec examples)', () => {
    expect(shapeOf('DepthToSpace', [x([1, 8, 2, 3])], { blocksize: 2 })).toEqual([1, 2, 4, 6]);
    expect(shapeOf('SpaceToDepth', [x([1, 2, 4, 6])], { blocksize: 2 })).toEqual([1, 8, 2, 3]);
    expect(() => shapeOf('DepthToSpace', [x([1, 6, 2, 3])], { blocksize: 2 })).toThrow(/not divisible by blocksize\^2 = 4/);
    const d = iota([1, 8, 2, 3]);
    const dcr = nums(evaluate('DepthToSpace', [d], { blocksize: 2, mode: 'DCR' })[0]);
    // The spec example's input holds 9c + i in channel c; with 0..47 channel c starts at 6c.
    expect(dcr.slice(0, 12)).toEqual([0, 12, 1, 13, 2, 14, 24, 36, 25, 37, 26, 38]);
    const crd = nums(evaluate('DepthToSpace', [d], { blocksize: 2, mode: 'CRD' })[0]);
    expect(crd.slice(0, 12)).toEqual([0, 6, 1, 7, 2, 8, 12, 18, 13, 19, 14, 20]);
    const back = evaluate('SpaceToDepth', [evaluate('DepthToSpace', [d], { blocksize: 2 })[0]], { blocksize: 2 })[0];
    expect(nums(back)).toEqual(nums(d));
  });
});

describe('Identity, Dropout, Cast, Constant', () => {
  it('pass data through', () => {
    expect(infer('Identity', [t('int64', [2], ['N', 3])])[0]).toEqual({ dtype: 'int64', shape: [2], symbolic: ['N', 3] });
    const dr = infer('Dropout', [x([2, 3])], {}, { nOut: 2 });
    expect(dr).toEqual([{ dtype: 'float32', shape: [2, 3] }, { dtype: 'bool', shape: [2, 3] }]);
    const [y, m] = evaluate('Dropout', [f32([1, 2]), f32([0.5], [])], {}, { nOut: 2 });
    expect(nums(y)).toEqual([1, 2]);
    expect(nums(m)).toEqual([1, 1]);
  });

  it('casts by the to attribute', () => {
    expect(infer('Cast', [x([2, 3])], { to: 7 })[0]).toEqual({ dtype: 'int64', shape: [2, 3] });
    expect(infer('Cast', [t('int64', [1], ['W'])], { to: 6 })[0].symbolic).toEqual(['W']);
    expect(() => infer('Cast', [x([2])], { to: 17 })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(nums(evaluate('Cast', [f32([-1.9, 2.9])], { to: 7 })[0])).toEqual([-1, 2]);
  });

  it('builds Constant values from every attribute kind', () => {
    expect(evaluate('Constant', [], { value: f32([1, 2]) })[0].shape).toEqual([2]);
    expect(nums(evaluate('Constant', [], { value_ints: [1, 2, 3] })[0])).toEqual([1, 2, 3]);
    expect(evaluate('Constant', [], { value_float: 0.5 })[0].dtype).toBe('float32');
    expect(() => infer('Constant', [], {})).toThrow(/must have exactly one of value/);
  });
});
