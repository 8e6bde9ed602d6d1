import { Tensor } from '../../lib/ir/tensor';
import { evaluate, f, f32, i64, infer, nums, shapeOf, t } from './helpers';

describe('elementwise inference', () => {
  it('broadcasts binary ops', () => {
    expect(shapeOf('Add', [t('float32', [2, 3, 4, 5]), t('float32', [5])])).toEqual([2, 3, 4, 5]);
    expect(shapeOf('Mul', [t('float32', ['N', 3, 1, 1]), t('float32', [1, 3, 'H', 'W'])])).toEqual(['N', 3, 'H', 'W']);
    expect(infer('Less', [t('int64', [3]), t('int64', [1])])[0]).toEqual({ dtype: 'bool', shape: [3] });
    expect(infer('Where', [t('bool', [3, 1]), t('float32', [1, 4]), t('float32', [])])[0]).toEqual({ dtype: 'float32', shape: [3, 4] });
  });

  it('rejects mismatched dtypes and shapes with the node name', () => {
    expect(() => infer('Add', [t('float32', [2]), t('int64', [2])])).toThrow(/Add "add0": all inputs must have the same dtype but received float32 and int64; insert a Cast/);
    expect(() => infer('Sub', [t('float32', [2, 3]), t('float32', [3, 2])])).toThrow(/Sub "sub0": cannot broadcast/);
    expect(() => infer('Sqrt', [t('int32', [2])])).toThrow(/expected a float tensor/);
    expect(() => infer('And', [t('float32', [2]), t('float32', [2])])).toThrow(/expected a bool tensor/);
  });

  it('lets Pow mix dtypes and keeps the base dtype', () => {
    expect(infer('Pow', [t('float32', [2, 3]), t('int64', [])])[0]).toEqual({ dtype: 'float32', shape: [2, 3] });
  });
});

describe('elementwise evaluation', () => {
  it('computes float32 with float32 rounding', () => {
    const [y] = evaluate('Add', [f32([0.1]), f32([0.2])]);
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(nums(y)).toEqual([Math.fround(Math.fround(0.1) + Math.fround(0.2))]);
    expect(nums(evaluate('Div', [f32([1]), f32([3])])[0])).toEqual([Math.fround(1 / 3)]);
  });

  it('broadcasts values', () => {
    const a = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(nums(evaluate('Sub', [a, f32([1, 2, 3])])[0])).toEqual([0, 0, 0, 3, 3, 3]);
    expect(nums(evaluate('Mul', [a, f32([10, 100], [2, 1])])[0])).toEqual([10, 20, 30, 400, 500, 600]);
  });

  it('truncates integer division toward zero like C', () => {
    const a = Tensor.fromNumbers('int32', [4], [7, -7, 7, -7]);
    const b = Tensor.fromNumbers('int32', [4], [2, 2, -2, -2]);
    expect(nums(evaluate('Div', [a, b])[0])).toEqual([3, -3, -3, 3]);
    expect(nums(evaluate('Div', [i64([7, -7, 7, -7]), i64([2, 2, -2, -2])])[0])).toEqual([3, -3, -3, 3]);
    expect(() => evaluate('Div', [i64([1]), i64([0])])).toThrow(/integer division by zero/);
  });

  it('uses BigInt for int64 and wraps on overflow', () => {
    const big = new Tensor('int64', [1], BigInt64Array.from([2n ** 62n]));
    const [y] = evaluate('Mul', [big, i64([4])]);
    expect((y.data as BigInt64Array)[0]).toBe(0n);
    const max = new Tensor('int64', [1], BigInt64Array.from([2n ** 63n - 1n]));
    expect((evaluate('Sub', [max, i64([1])])[0].data as BigInt64Array)[0]).toBe(2n ** 63n - 2n);
  });

  it('wraps narrow integers like C', () => {
    const a = Tensor.fromNumbers('uint8', [2], [200, 10]);
    const b = Tensor.fromNumbers('uint8', [2], [100, 20]);
    expect(nums(evaluate('Add', [a, b])[0])).toEqual([44, 30]);
    expect(nums(evaluate('Sub', [b, a])[0])).toEqual([156, 10]);
    const i = Tensor.fromNumbers('int32', [1], [65536]);
    expect(nums(evaluate('Mul', [i, i])[0])).toEqual([0]);
  });

  it('folds Max/Min over several inputs and Pow/Mod', () => {
    expect(nums(evaluate('Max', [f32([1, 5]), f32([3, 2]), f32([2])])[0])).toEqual([3, 5]);
    expect(nums(evaluate('Min', [i64([1, 5]), i64([3])])[0])).toEqual([1, 3]);
    expect(nums(evaluate('Pow', [f32([2, 3]), i64([3])])[0])).toEqual([8, 27]);
    expect(nums(evaluate('Mod', [i64([-4, 7]), i64([3, -3])])[0])).toEqual([2, -2]);
    expect(nums(evaluate('Mod', [f32([-4, 7]), f32([3, -3])], { fmod: 1 })[0])).toEqual([-1, 1]);
  });

  it('folds unary math', () => {
    expect(nums(evaluate('Neg', [i64([3, -2])])[0])).toEqual([-3, 2]);
    expect(nums(evaluate('Abs', [f32([-1.5, 2])])[0])).toEqual([1.5, 2]);
    expect(nums(evaluate('Sqrt', [f32([4, 2])])[0])).toEqual([2, Math.fround(Math.SQRT2)]);
    expect(nums(evaluate('Exp', [f32([0, 1])])[0])).toEqual([1, Math.fround(Math.E)]);
    expect(nums(evaluate('Log', [f32([1])])[0])).toEqual([0]);
    expect(nums(evaluate('Floor', [f32([-1.5, 1.5])])[0])).toEqual([-2, 1]);
    expect(nums(evaluate('Ceil', [f32([-1.5, 1.5])])[0])).toEqual([-1, 2]);
    expect(nums(evaluate('Round', [f32([0.5, 1.5, 2.5, -2.5, 2.6])])[0])).toEqual([0, 2, 2, -2, 3]);
    expect(nums(evaluate('Reciprocal', [f32([4, -0.5])])[0])).toEqual([0.25, -2]);
  });

  it('folds comparisons and logic into bool', () => {
    const [eq] = evaluate('Equal', [i64([1, 2, 3]), i64([2])]);
    expect(eq.dtype).toBe('bool');
    expect(nums(eq)).toEqual([0, 1, 0]);
    expect(nums(evaluate('Greater', [f32([1, 3]), f32([2])])[0])).toEqual([0, 1]);
    expect(nums(evaluate('Less', [i64([1, 3]), i64([2])])[0])).toEqual([1, 0]);
    const b = (v: number[]): Tensor => Tensor.fromNumbers('bool', [v.length], v);
    expect(nums(evaluate('And', [b([1, 1, 0]), b([1, 0, 0])])[0])).toEqual([1, 0, 0]);
    expect(nums(evaluate('Or', [b([1, 1, 0]), b([1, 0, 0])])[0])).toEqual([1, 1, 0]);
    expect(nums(evaluate('Not', [b([1, 0])])[0])).toEqual([0, 1]);
    expect(nums(evaluate('Where', [b([1, 0, 1]), i64([1, 2, 3]), i64([-1])])[0])).toEqual([1, -1, 3]);
  });

  it('folds float16 arithmetic with half rounding', () => {
    const h = (v: number[]): Tensor => evaluate('Cast', [f32(v)], { to: 10 })[0];
    const [y] = evaluate('Add', [h([1]), h([2 ** -11])]);
    expect(y.dtype).toBe('float16');
    expect(Array.from(y.data as Uint16Array)).toEqual([0x3c00]); // 1 + 2^-11 ties to even
  });
});

describe('activations', () => {
  it('keep shape and dtype', () => {
    for (const op of ['Relu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Elu', 'Selu', 'Softplus']) {
      expect(infer(op, [t('float32', ['N', 8, 'H', 'W'])])[0]).toEqual({ dtype: 'float32', shape: ['N', 8, 'H', 'W'] });
    }
    expect(shapeOf('Softmax', [t('float32', [2, 5])])).toEqual([2, 5]);
    expect(() => infer('Softmax', [t('float32', [2, 5])], { axis: 2 })).toThrow(/axis 2 is out of range/);
  });

  it('checks PRelu slope broadcasting (unidirectional)', () => {
    expect(shapeOf('PRelu', [t('float32', [1, 8, 4, 4]), t('float32', [8, 1, 1])])).toEqual([1, 8, 4, 4]);
    expect(() => shapeOf('PRelu', [t('float32', [1, 8, 4, 4]), t('float32', [8])])).toThrow(/slope of shape \[8\] does not broadcast/);
  });

  it('fold with the spec formulas', () => {
    const x = f32([-2, -0.5, 0, 0.5, 3]);
    expect(nums(evaluate('Relu', [x])[0])).toEqual([0, 0, 0, 0.5, 3]);
    expect(nums(evaluate('LeakyRelu', [x], { alpha: f(0.1) })[0])).toEqual([-0.2, -0.05, 0, 0.5, 3].map(Math.fround));
    expect(nums(evaluate('HardSigmoid', [x])[0])).toEqual([-2, -0.5, 0, 0.5, 3].map((v) => Math.fround(Math.min(1, Math.max(0, Math.fround(0.2) * v + 0.5)))));
    expect(nums(evaluate('HardSwish', [f32([-4, 1, 4])])[0])).toEqual([-0, Math.fround(1 * (1 / 6 + 0.5)), 4]);
    expect(nums(evaluate('Clip', [x, f32([-1], []), f32([1], [])])[0])).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(nums(evaluate('Clip', [x], { min: f(-1), max: f(1) }, { opset: 9 })[0])).toEqual([-1, -0.5, 0, 0.5, 1]);
    const [sm] = evaluate('Softmax', [f32([1, 2, 3, 1, 1, 1], [2, 3])]);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e[0] + e[1] + e[2];
    expect(nums(sm)).toEqual([...e.map((v) => Math.fround(v / s)), ...[1, 1, 1].map(() => Math.fround(1 / 3))]);
    const [ls] = evaluate('LogSoftmax', [f32([0, 0], [1, 2])]);
    expect(nums(ls)).toEqual([Math.fround(-Math.LN2), Math.fround(-Math.LN2)]);
    expect(nums(evaluate('PRelu', [f32([-1, -1, 2, 2], [2, 2]), f32([0.5, 2], [2, 1])])[0])).toEqual([-0.5, -0.5, 2, 2]);
  });

  it('applies opset < 13 Softmax over the flattened trailing dims', () => {
    const x = f32([0, 0, 0, 0], [1, 2, 2]);
    expect(nums(evaluate('Softmax', [x], {}, { opset: 11 })[0])).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(nums(evaluate('Softmax', [x], {}, { opset: 13 })[0])).toEqual([0.5, 0.5, 0.5, 0.5]);
  });
});
