import { Tensor } from '../../lib/ir/tensor';
import { evaluate, f32, i64, infer, nums, shapeOf, t } from './helpers';

const x = (shape: (number | string | undefined)[]) => t('float32', shape);

describe('Conv', () => {
  it('infers spec shapes (basic_conv_with/without_padding, strides, auto_pad)', () => {
    expect(shapeOf('Conv', [x([1, 1, 5, 5]), x([1, 1, 3, 3])], { pads: [1, 1, 1, 1] })).toEqual([1, 1, 5, 5]);
    expect(shapeOf('Conv', [x([1, 1, 5, 5]), x([1, 1, 3, 3])])).toEqual([1, 1, 3, 3]);
    expect(shapeOf('Conv', [x([1, 1, 7, 5]), x([1, 1, 3, 3])], { pads: [1, 1, 1, 1], strides: [2, 2] })).toEqual([1, 1, 4, 3]);
    expect(shapeOf('Conv', [x([1, 1, 7, 5]), x([1, 1, 3, 3])], { pads: [1, 0, 1, 0], strides: [2, 2] })).toEqual([1, 1, 4, 2]);
    expect(shapeOf('Conv', [x([1, 1, 5, 5]), x([1, 1, 3, 3])], { auto_pad: 'SAME_LOWER', strides: [2, 2] })).toEqual([1, 1, 3, 3]);
    expect(shapeOf('Conv', [x([1, 1, 7, 7]), x([1, 1, 3, 3])], { dilations: [2, 2] })).toEqual([1, 1, 3, 3]);
    expect(shapeOf('Conv', [x([1, 8, 10]), x([16, 8, 3])], { auto_pad: 'VALID' })).toEqual([1, 16, 8]);
  });

  it('keeps symbolic batch and spatial dims when the window preserves them', () => {
    expect(shapeOf('Conv', [x(['N', 3, 'H', 'W']), x([16, 3, 3, 3])], { pads: [1, 1, 1, 1] })).toEqual(['N', 16, 'H', 'W']);
    expect(shapeOf('Conv', [x(['N', 3, 'H', 'W']), x([16, 3, 3, 3])], { strides: [2, 2], pads: [1, 1, 1, 1] })).toEqual(['N', 16, undefined, undefined]);
    expect(shapeOf('Conv', [x(['N', 3, 'H', 'W']), x([16, 3, 1, 1])])).toEqual(['N', 16, 'H', 'W']);
  });

  it('checks channels, group and bias', () => {
    expect(shapeOf('Conv', [x([1, 32, 8, 8]), x([32, 1, 3, 3]), x([32])], { group: 32, pads: [1, 1, 1, 1] })).toEqual([1, 32, 8, 8]);
    expect(() => shapeOf('Conv', [x([1, 4, 8, 8]), x([8, 3, 3, 3])])).toThrow(/Conv "conv0": X has 4 channels but W \[8,3,3,3\] with group 1 expects 3/);
    expect(() => shapeOf('Conv', [x([1, 3, 8, 8]), x([8, 3, 3, 3]), x([4])])).toThrow(/B must have one value per output channel/);
    expect(() => shapeOf('Conv', [x([1, 3, 2, 2]), x([8, 3, 3, 3])])).toThrow(/too small/);
    expect(() => shapeOf('Conv', [x([1, 3, 8, 8]), x([8, 3, 3, 3])], { pads: [1, 1] })).toThrow(/pads has 2 values but must have 4/);
  });

  it('reports 3-D convolutions as UNSUPPORTED', () => {
    expect(() => shapeOf('Conv', [x([1, 1, 4, 4, 4]), x([1, 1, 3, 3, 3])])).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });
});

describe('ConvTranspose', () => {
  it('infers spec shapes', () => {
    expect(shapeOf('ConvTranspose', [x([1, 1, 3, 3]), x([1, 2, 3, 3])])).toEqual([1, 2, 5, 5]);
    expect(shapeOf('ConvTranspose', [x([1, 1, 3, 3]), x([1, 2, 3, 3])], { strides: [3, 2], output_padding: [1, 1] })).toEqual([1, 2, 10, 8]);
    expect(shapeOf('ConvTranspose', [x([1, 1, 3, 3]), x([1, 2, 3, 3])], { strides: [3, 2], output_shape: [10, 8] })).toEqual([1, 2, 10, 8]);
    expect(shapeOf('ConvTranspose', [x([1, 1, 3, 3]), x([1, 2, 3, 3])], { strides: [2, 2], auto_pad: 'SAME_UPPER' })).toEqual([1, 2, 6, 6]);
    expect(shapeOf('ConvTranspose', [x([1, 1, 3, 3]), x([1, 2, 3, 3])], { strides: [3, 2], pads: [1, 2, 1, 2] })).toEqual([1, 2, 7, 3]);
    expect(shapeOf('ConvTranspose', [x([1, 1, 3]), x([1, 2, 3])])).toEqual([1, 2, 5]);
    expect(shapeOf('ConvTranspose', [x(['N', 8, 4, 4]), x([8, 1, 2, 2])], { strides: [2, 2], group: 8 })).toEqual(['N', 8, 8, 8]);
  });
});

describe('Gemm and MatMul', () => {
  it('infers Gemm with transposes and checks C', () => {
    expect(shapeOf('Gemm', [x([3, 5]), x([5, 4]), x([1, 4])])).toEqual([3, 4]);
    expect(shapeOf('Gemm', [x([5, 3]), x([4, 5]), x([])], { transA: 1, transB: 1 })).toEqual([3, 4]);
    expect(shapeOf('Gemm', [x(['N', 64]), x([10, 64]), x([10])], { transB: 1 })).toEqual(['N', 10]);
    expect(() => shapeOf('Gemm', [x([3, 5]), x([6, 4])])).toThrow(/inner dimensions/);
    expect(() => shapeOf('Gemm', [x([3, 5]), x([5, 4]), x([3])])).toThrow(/C of shape \[3\] does not broadcast to \[3,4\]/);
  });

  it('infers MatMul like numpy', () => {
    expect(shapeOf('MatMul', [x([3, 4]), x([4, 3])])).toEqual([3, 3]);
    expect(shapeOf('MatMul', [x([2, 3, 4]), x([2, 4, 3])])).toEqual([2, 3, 3]);
    expect(shapeOf('MatMul', [x([2, 1, 3, 4]), x([5, 4, 6])])).toEqual([2, 5, 3, 6]);
    expect(shapeOf('MatMul', [x([4]), x([2, 4, 3])])).toEqual([2, 3]);
    expect(shapeOf('MatMul', [x(['N', 'T', 64]), x([64])])).toEqual(['N', 'T']);
    expect(() => shapeOf('MatMul', [x([3, 4]), x([5, 3])])).toThrow(/inner dimensions of A \[3,4\] and B \[5,3\]/);
  });

  it('folds Gemm and MatMul', () => {
    const a = f32([1, 2, 3, 4], [2, 2]);
    expect(nums(evaluate('MatMul', [a, f32([1, 1], [2, 1])])[0])).toEqual([3, 7]);
    expect(nums(evaluate('Gemm', [a, a, f32([1])], { alpha: 2, beta: 0.5, transB: 1 })[0])).toEqual([10.5, 22.5, 22.5, 50.5]);
  });
});

describe('normalizations', () => {
  it('infers BatchNormalization outputs', () => {
    const r = infer('BatchNormalization', [x(['N', 3, 8, 8]), x([3]), x([3]), x([3]), x([3])]);
    expect(r).toEqual([{ dtype: 'float32', shape: ['N', 3, 8, 8] }]);
    const tr = infer('BatchNormalization', [x([2, 3, 4]), x([3]), x([3]), x([3]), x([3])], { training_mode: 1 }, { opset: 15, nOut: 3 });
    expect(tr.map((v) => v.shape)).toEqual([[2, 3, 4], [3], [3]]);
    expect(() => infer('BatchNormalization', [x([1, 3, 4, 4]), x([4]), x([3]), x([3]), x([3])])).toThrow(/scale must have one value per channel/);
  });

  it('folds inference BatchNormalization', () => {
    const [y] = evaluate('BatchNormalization', [f32([1, 2, 3, 4], [1, 2, 2]), f32([1, 2]), f32([0, 1]), f32([1, 2]), f32([1, 4])], { epsilon: 0 });
    expect(nums(y)).toEqual([0, 1, 1 + 1, 1 + 2]);
  });

  it('infers LayerNormalization outputs with the stash dtype', () => {
    const r = infer('LayerNormalization', [x([2, 3, 4]), x([4]), x([4])], { axis: -1 }, { opset: 17, nOut: 3 });
    expect(r).toEqual([
      { dtype: 'float32', shape: [2, 3, 4] },
      { dtype: 'float32', shape: [2, 3, 1] },
      { dtype: 'float32', shape: [2, 3, 1] },
    ]);
    expect(shapeOf('InstanceNormalization', [x([1, 3, 5, 5]), x([3]), x([3])])).toEqual([1, 3, 5, 5]);
  });
});

describe('pooling', () => {
  it('infers spec shapes', () => {
    expect(shapeOf('MaxPool', [x([1, 3, 32, 32])], { kernel_shape: [2, 2] })).toEqual([1, 3, 31, 31]);
    expect(shapeOf('MaxPool', [x([1, 1, 4, 4])], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 })).toEqual([1, 1, 2, 2]);
    expect(shapeOf('MaxPool', [x([1, 3, 32, 32])], { kernel_shape: [5, 5], pads: [2, 2, 2, 2] })).toEqual([1, 3, 32, 32]);
    expect(shapeOf('MaxPool', [x([1, 3, 32, 32])], { kernel_shape: [2, 2], auto_pad: 'SAME_UPPER' })).toEqual([1, 3, 32, 32]);
    expect(shapeOf('AveragePool', [x([1, 3, 32, 32])], { kernel_shape: [5, 5], strides: [3, 3] })).toEqual([1, 3, 10, 10]);
    expect(shapeOf('MaxPool', [x([1, 1, 4, 4])], { kernel_shape: [2, 2], dilations: [2, 2] })).toEqual([1, 1, 2, 2]);
    expect(shapeOf('AveragePool', [x([1, 3, 32])], { kernel_shape: [2] })).toEqual([1, 3, 31]);
    expect(shapeOf('GlobalAveragePool', [x(['N', 64, 'H', 'W'])])).toEqual(['N', 64, 1, 1]);
    const idx = infer('MaxPool', [x([1, 1, 4, 4])], { kernel_shape: [2, 2], strides: [2, 2] }, { nOut: 2 });
    expect(idx[1]).toEqual({ dtype: 'int64', shape: [1, 1, 2, 2] });
  });

  it('drops a ceil-mode window that would start in the end padding (as onnxruntime does)', () => {
    expect(shapeOf('MaxPool', [x([1, 1, 1, 6])], { kernel_shape: [1, 1], strides: [1, 2], ceil_mode: 1 })).toEqual([1, 1, 1, 3]);
    expect(shapeOf('AveragePool', [x([1, 1, 1, 7])], { kernel_shape: [1, 3], strides: [1, 3], ceil_mode: 1, pads: [0, 1, 0, 1] })).toEqual([1, 1, 1, 3]);
  });

  it('folds pools with the values onnxruntime gives', () => {
    const r6 = f32([0, 1, 2, 3, 4, 5], [1, 1, 1, 6]);
    expect(nums(evaluate('MaxPool', [r6], { kernel_shape: [1, 2], strides: [1, 2], ceil_mode: 1, pads: [0, 1, 0, 1] })[0])).toEqual([0, 2, 4, 5]);
    expect(nums(evaluate('AveragePool', [r6], { kernel_shape: [1, 3], strides: [1, 2], ceil_mode: 1, pads: [0, 1, 0, 1], count_include_pad: 1 })[0]))
      .toEqual([1 / 3, 2, 4, 2.5].map(Math.fround));
    const r5 = f32([0, 1, 2, 3, 4], [1, 1, 1, 5]);
    expect(nums(evaluate('AveragePool', [r5], { kernel_shape: [1, 2], strides: [1, 2], ceil_mode: 1, count_include_pad: 1 })[0])).toEqual([0.5, 2.5, 4]);
    const [y, ind] = evaluate('MaxPool', [f32([1, 5, 3, 2], [1, 1, 2, 2])], { kernel_shape: [2, 2], storage_order: 1 }, { nOut: 2 });
    expect(nums(y)).toEqual([5]);
    expect(nums(ind)).toEqual([2]);
    expect(nums(evaluate('GlobalAveragePool', [f32([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2])])[0])).toEqual([2.5, 6.5]);
  });
});

describe('reductions', () => {
  const d = x([3, 2, 2]);
  it('infers axes from attributes and inputs by opset', () => {
    expect(shapeOf('ReduceMean', [d], { axes: [1], keepdims: 1 })).toEqual([3, 1, 2]);
    expect(shapeOf('ReduceMean', [d], { axes: [1], keepdims: 0 })).toEqual([3, 2]);
    expect(shapeOf('ReduceMean', [d])).toEqual([1, 1, 1]);
    expect(shapeOf('ReduceMean', [d], { keepdims: 0 })).toEqual([]);
    expect(shapeOf('ReduceSum', [d, i64([-2])], { keepdims: 0 }, { opset: 13 })).toEqual([3, 2]);
    expect(shapeOf('ReduceSum', [d, i64([])], { noop_with_empty_axes: 1 }, { opset: 13 })).toEqual([3, 2, 2]);
    expect(shapeOf('ReduceMax', [d, i64([0, 2])], { keepdims: 0 }, { opset: 18 })).toEqual([2]);
    expect(shapeOf('ReduceSum', [d, t('int64', [1])], { keepdims: 0 }, { opset: 13 })).toEqual([undefined, undefined]);
    expect(() => shapeOf('ReduceMean', [d, i64([1])], {}, { opset: 13 })).toThrow(/takes axes as an attribute before opset 18/);
    expect(() => shapeOf('ReduceMean', [d], { axes: [3] })).toThrow(/out of range/);
  });

  it('folds every reduction', () => {
    const v = f32([5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2], [3, 2, 2]);
    expect(nums(evaluate('ReduceSum', [v, i64([1])], { keepdims: 0 })[0])).toEqual([25, 3, 70, 3, 115, 3]);
    expect(nums(evaluate('ReduceMean', [v], { axes: [1] })[0])).toEqual([12.5, 1.5, 35, 1.5, 57.5, 1.5]);
    expect(nums(evaluate('ReduceMax', [v], { axes: [0, 1], keepdims: 0 })[0])).toEqual([60, 2]);
    expect(nums(evaluate('ReduceMin', [v], { keepdims: 0 })[0])).toEqual([1]);
    expect(nums(evaluate('ReduceProd', [i64([1, 2, 3, 4], [2, 2])], { axes: [1] })[0])).toEqual([2, 12]);
    expect(nums(evaluate('ReduceSum', [i64([1, 2, 3, 4], [2, 2]), i64([])], { noop_with_empty_axes: 0 })[0])).toEqual([10]);
    expect(nums(evaluate('ArgMax', [f32([1, 3, 3, 2], [2, 2])], { axis: 1, keepdims: 0 })[0])).toEqual([1, 0]);
    expect(nums(evaluate('ArgMax', [f32([1, 3, 3, 3], [2, 2])], { axis: 1, select_last_index: 1 })[0])).toEqual([1, 1]);
    const big = new Tensor('int64', [2], BigInt64Array.from([2n ** 60n, 2n ** 60n]));
    expect((evaluate('ReduceSum', [big, i64([0])])[0].data as BigInt64Array)[0]).toBe(2n ** 61n);
  });
});
