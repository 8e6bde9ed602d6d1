/**
 * Per-op lowering: turns an ONNX node (with concrete shapes and known constants) into the engine's
 * normalized form (native/engine/ops/*.cc documents the attributes each engine op reads): defaults
 * filled, auto_pad resolved, negative axes normalized, shape-giving inputs (Reshape shape, Slice
 * starts, Resize scales, ...) folded into attributes and dropped.
 */
import type { Node } from '../ir/graph';
import type { Tensor } from '../ir/tensor';
import { NpuqError } from '../errors';

export type EngineAttrs = Record<string, number | number[] | string>;

export interface LowerCtx {
  node: Node;
  opset: number;
  inShape(i: number): number[];
  outShape(i: number): number[];
  hasInput(i: number): boolean;
  /** Constant value of input i, if known at compile time. */
  value(i: number): Tensor | undefined;
}

export interface Lowered {
  op: string;
  attrs: EngineAttrs;
  /** Indices of node inputs passed to the engine op (default: all); -1 passes an omitted input. */
  inputs?: number[];
  /** Indices of node outputs produced by the engine op (default: all). */
  outputs?: number[];
}

type LowerFn = (c: LowerCtx) => Lowered;

const unsupported = (c: LowerCtx, msg: string) => new NpuqError('UNSUPPORTED', `${c.node.describe()}: ${msg}`);

function ints(c: LowerCtx, i: number, what: string): number[] {
  const v = c.value(i);
  if (!v) throw unsupported(c, `${what} (input ${i}) must be known at compile time; npuquant does not run data-dependent shapes`);
  return v.toNumbers();
}

/** A negative ONNX axis counted from the end of a rank-r shape. */
export const normAxis = (a: number, r: number) => (a < 0 ? a + r : a);

/** Pads [begin..., end...] for a window op, resolving auto_pad. */
function windowPads(c: LowerCtx, spatial: number[], kernel: number[], strides: number[], dil: number[], transposed = false): number[] {
  const n = spatial.length;
  const autoPad = c.node.attrString('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const p = c.node.attrInts('pads', new Array(2 * n).fill(0));
    if (p.length !== 2 * n) throw new NpuqError('INVALID_MODEL', `${c.node.describe()}: pads must have ${2 * n} values`);
    return p;
  }
  if (autoPad === 'VALID') return new Array(2 * n).fill(0);
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') throw unsupported(c, `auto_pad "${autoPad}" is not supported`);
  const out = c.outShape(0).slice(-n);
  const begin: number[] = [], end: number[] = [];
  for (let i = 0; i < n; i++) {
    const eff = (kernel[i] - 1) * dil[i] + 1;
    const total = transposed
      ? Math.max(0, strides[i] * (spatial[i] - 1) + eff - out[i])
      : Math.max(0, (out[i] - 1) * strides[i] + eff - spatial[i]);
    const small = Math.floor(total / 2), large = total - small;
    // SAME_UPPER puts the extra pad at the end, SAME_LOWER at the start (Conv, ConvTranspose and pools
    // alike: the ONNX spec, its test data and onnxruntime agree).
    const extraAtEnd = autoPad === 'SAME_UPPER';
    begin.push(extraAtEnd ? small : large);
    end.push(extraAtEnd ? large : small);
  }
  return [...begin, ...end];
}

/** 1-D window attributes as 2-D with H = 1; [t,l,b,r] pads. */
function to2d(v: number[], fill: number): number[] {
  return v.length === 1 ? [fill, v[0]] : v;
}
function pads2d(p: number[]): number[] {
  return p.length === 2 ? [0, p[0], 0, p[1]] : [p[0], p[1], p[2], p[3]];
}

function lowerConv(c: LowerCtx, transposed: boolean): Lowered {
  const xs = c.inShape(0), ws = c.inShape(1);
  const n = xs.length - 2;
  if (n < 1 || n > 2) throw unsupported(c, `${n}-D convolution is not supported (1-D and 2-D are)`);
  const kernel = c.node.attrInts('kernel_shape', ws.slice(2));
  const strides = c.node.attrInts('strides', new Array(n).fill(1));
  const dil = c.node.attrInts('dilations', new Array(n).fill(1));
  let pads: number[];
  if (transposed && c.node.has('output_shape')) {
    // Total padding follows from the requested output shape, split as the ONNX spec says: SAME_UPPER
    // puts the larger half at the end, anything else at the start. A negative total (output larger
    // than the full transposed convolution) leaves zeros + bias at the end; the engine only reads the
    // start pads of a ConvTranspose.
    const outSpatial = c.outShape(0).slice(2);
    const op = c.node.attrInts('output_padding', new Array(n).fill(0));
    const begin: number[] = [], end: number[] = [];
    const upper = c.node.attrString('auto_pad', 'NOTSET') === 'SAME_UPPER';
    for (let i = 0; i < n; i++) {
      const total = strides[i] * (xs[2 + i] - 1) + op[i] + (kernel[i] - 1) * dil[i] + 1 - outSpatial[i];
      const small = Math.floor(total / 2), large = total - small;
      begin.push(upper ? small : large);
      end.push(Math.max(0, upper ? large : small));
    }
    pads = [...begin, ...end];
  } else {
    pads = windowPads(c, xs.slice(2), kernel, strides, dil, transposed);
  }
  if (pads.some((p) => p < 0)) throw unsupported(c, 'negative pads are not supported');
  return {
    op: transposed ? 'ConvTranspose' : 'Conv',
    attrs: {
      kernel: to2d(kernel, 1), strides: to2d(strides, 1), dilations: to2d(dil, 1), pads: pads2d(pads),
      group: c.node.attrInt('group', 1),
    },
  };
}

function lowerPool(c: LowerCtx): Lowered {
  const xs = c.inShape(0);
  const n = xs.length - 2;
  if (n < 1 || n > 2) throw unsupported(c, `${n}-D pooling is not supported (1-D and 2-D are)`);
  if (c.node.outputs.length > 1 && c.node.outputs[1]) throw unsupported(c, 'the Indices output of MaxPool is not supported');
  const kernel = c.node.attrInts('kernel_shape');
  const strides = c.node.attrInts('strides', new Array(n).fill(1));
  const dil = c.node.attrInts('dilations', new Array(n).fill(1));
  const pads = windowPads(c, xs.slice(2), kernel, strides, dil);
  return {
    op: c.node.opType,
    attrs: {
      kernel: to2d(kernel, 1), strides: to2d(strides, 1), dilations: to2d(dil, 1), pads: pads2d(pads),
      count_include_pad: c.node.attrInt('count_include_pad', 0),
    },
    outputs: [0],
  };
}

function lowerClip(c: LowerCtx): Lowered {
  if (c.opset < 11) {
    return { op: 'Clip', attrs: { lo: c.node.attrFloat('min', -Infinity), hi: c.node.attrFloat('max', Infinity) }, inputs: [0] };
  }
  // Bounds known at compile time become attributes; a bound fed at run time is read by the engine.
  if ([1, 2].some((i) => c.hasInput(i) && !c.value(i))) {
    return { op: 'Clip', attrs: {}, inputs: [0, c.hasInput(1) ? 1 : -1, c.hasInput(2) ? 2 : -1] };
  }
  const attrs: EngineAttrs = {};
  if (c.hasInput(1)) attrs.lo = c.value(1)!.toNumbers()[0];
  if (c.hasInput(2)) attrs.hi = c.value(2)!.toNumbers()[0];
  return { op: 'Clip', attrs, inputs: [0] };
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_GAMMA = 1.0507009873554804934193349852946;

function unary(op: string, alpha?: (c: LowerCtx) => number, beta?: (c: LowerCtx) => number): LowerFn {
  return (c) => {
    const attrs: EngineAttrs = {};
    if (alpha) attrs.alpha = alpha(c);
    if (beta) attrs.beta = beta(c);
    return { op, attrs, inputs: [0] };
  };
}

function lowerSlice(c: LowerCtx): Lowered {
  const xs = c.inShape(0);
  const r = xs.length;
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (c.opset < 10) {
    starts = c.node.attrInts('starts');
    ends = c.node.attrInts('ends');
    axes = c.node.has('axes') ? c.node.attrInts('axes') : undefined;
  } else {
    starts = ints(c, 1, 'starts');
    ends = ints(c, 2, 'ends');
    axes = c.hasInput(3) ? ints(c, 3, 'axes') : undefined;
    steps = c.hasInput(4) ? ints(c, 4, 'steps') : undefined;
  }
  axes = axes ?? starts.map((_, i) => i);
  const st = new Array(r).fill(0), sp = new Array(r).fill(1);
  axes.forEach((a0, i) => {
    const a = normAxis(a0, r);
    const dim = xs[a];
    const step = steps ? steps[i] : 1;
    if (step === 0) throw new NpuqError('INVALID_MODEL', `${c.node.describe()}: slice steps must not be 0`);
    let s = starts[i];
    if (s < 0) s += dim;
    s = step > 0 ? Math.min(Math.max(s, 0), dim) : Math.min(Math.max(s, -1), dim - 1);
    st[a] = Math.max(0, Math.min(s, Math.max(dim - 1, 0)));
    sp[a] = step;
  });
  return { op: 'Slice', attrs: { starts: st, steps: sp }, inputs: [0] };
}

function lowerPad(c: LowerCtx): Lowered {
  const r = c.inShape(0).length;
  let pads: number[];
  let value = 0;
  if (c.opset < 11) {
    pads = c.node.attrInts(c.opset < 2 ? 'paddings' : 'pads');
    value = c.node.attrFloat('value', 0);
  } else {
    pads = ints(c, 1, 'pads');
    if (c.hasInput(2)) {
      const v = c.value(2);
      if (!v) throw unsupported(c, 'constant_value must be known at compile time');
      value = v.toNumbers()[0] ?? 0;
    }
    if (c.hasInput(3)) {
      const axes = ints(c, 3, 'axes').map((a) => normAxis(a, r));
      const full = new Array(2 * r).fill(0);
      axes.forEach((a, i) => {
        full[a] = pads[i];
        full[a + r] = pads[i + axes.length];
      });
      pads = full;
    }
  }
  return { op: 'Pad', attrs: { mode: c.node.attrString('mode', 'constant'), pads, value }, inputs: [0] };
}

function lowerResize(c: LowerCtx): Lowered {
  const xs = c.inShape(0), ys = c.outShape(0);
  const r = xs.length;
  const isUpsample = c.node.opType === 'Upsample';
  let scales: number[] | undefined;
  let roi = [...new Array(r).fill(0), ...new Array(r).fill(1)];
  let coord = 'half_pixel', nearestMode = 'round_prefer_floor';
  let mode = c.node.attrString('mode', 'nearest');
  if (isUpsample || c.opset < 11) {
    scales = c.node.has('scales') ? c.node.attrFloats('scales') : ints(c, 1, 'scales');
    coord = 'asymmetric';
    // onnxruntime's legacy rule for Upsample and Resize-10: floor when upsampling, ceil when downsampling.
    nearestMode = 'simple';
    if (mode === 'bilinear') mode = 'linear';
  } else {
    coord = c.node.attrString('coordinate_transformation_mode', 'half_pixel');
    nearestMode = c.node.attrString('nearest_mode', 'round_prefer_floor');
    if (c.hasInput(1)) {
      const v = c.value(1);
      if (v && v.size > 0) roi = v.toNumbers();
      else if (!v && coord === 'tf_crop_and_resize') throw unsupported(c, 'roi must be known at compile time');
    }
    if (c.hasInput(2)) {
      const v = c.value(2);
      if (!v) throw unsupported(c, 'scales must be known at compile time');
      if (v.size > 0) scales = v.toNumbers();
    }
    if (c.node.has('axes')) {
      const axes = c.node.attrInts('axes').map((a) => normAxis(a, r));
      if (scales) {
        const full = new Array(r).fill(1);
        axes.forEach((a, i) => (full[a] = scales![i]));
        scales = full;
      }
      if (roi.length === 2 * axes.length && axes.length !== r) {
        const full = [...new Array(r).fill(0), ...new Array(r).fill(1)];
        axes.forEach((a, i) => { full[a] = roi[i]; full[a + r] = roi[i + axes.length]; });
        roi = full;
      }
    }
  }
  // With sizes given, the coordinate transform uses out/in (the ONNX spec's scale for sizes).
  if (!scales || scales.length !== r) scales = ys.map((o, i) => (xs[i] === 0 ? 1 : o / xs[i]));
  if (c.node.attrInt('antialias', 0) !== 0) throw unsupported(c, 'antialias is not supported');
  return {
    op: 'Resize',
    attrs: {
      mode, coord, nearest_mode: nearestMode, scales, roi,
      cubic_coeff_a: c.node.attrFloat('cubic_coeff_a', -0.75),
      exclude_outside: c.node.attrInt('exclude_outside', 0),
      extrapolation_value: c.node.attrFloat('extrapolation_value', 0),
    },
    inputs: [0],
  };
}

/**
 * The axes a Reduce* node of input rank r reduces, normalized: its `axes` attribute or its constant
 * axes input (`axesInput`, opset 18), every axis when empty, undefined for a no-op (empty axes with
 * noop_with_empty_axes).
 */
export function reduceAxes(node: Node, r: number, axesInput: () => number[] | undefined): number[] | undefined {
  const axes = node.has('axes') ? node.attrInts('axes') : axesInput();
  if (axes && axes.length > 0) return axes.map((a) => normAxis(a, r));
  return node.attrInt('noop_with_empty_axes', 0) ? undefined : Array.from({ length: r }, (_, i) => i);
}

function lowerReduce(c: LowerCtx): Lowered {
  const axes = reduceAxes(c.node, c.inShape(0).length, () => (c.hasInput(1) ? ints(c, 1, 'axes') : undefined));
  if (!axes) return { op: 'Copy', attrs: {}, inputs: [0] };
  return { op: c.node.opType, attrs: { axes }, inputs: [0] };
}

/** Whether an op type lowers as a reduction over axes (ReduceSum, ReduceMean, ...). */
export const isReduceOp = (op: string): boolean => LOWER[op] === lowerReduce;

const copy: LowerFn = () => ({ op: 'Copy', attrs: {}, inputs: [0], outputs: [0] });
const same = (op: string): LowerFn => () => ({ op, attrs: {} });

/** QLinearConv keeps its weight at input 3: lower its window attributes as a Conv with W at 1. */
function lowerQLinearConv(c: LowerCtx): Lowered {
  const asConv: LowerCtx = { ...c, inShape: (i) => c.inShape(i === 1 ? 3 : i) };
  return { op: 'QLinearConv', attrs: lowerConv(asConv, false).attrs };
}

const quantAxis = (c: LowerCtx): EngineAttrs => {
  const attrs: EngineAttrs = { axis: normAxis(c.node.attrInt('axis', 1), Math.max(c.inShape(0).length, 1)) };
  // Emulation graphs quantize with the chip's rounding (npuquant extension; ONNX: half to even).
  if (c.node.has('round')) attrs.round = c.node.attrString('round');
  return attrs;
};

/** ONNX window attributes, normalized by lowerConv / lowerPool instead of passed through. */
const WINDOW_ATTRS = new Set(['kernel_shape', 'strides', 'pads', 'dilations', 'auto_pad', 'group', 'ceil_mode', 'storage_order', 'count_include_pad']);

/** Attributes of an npuquant-domain node as engine attributes (numbers, number lists, strings). */
function passThrough(c: LowerCtx, skip: ReadonlySet<string> = new Set()): EngineAttrs {
  const out: EngineAttrs = {};
  for (const [k, a] of c.node.attrs) {
    if (k === 'out_dtype' || skip.has(k)) continue;
    if (a.kind === 'int' || a.kind === 'float' || a.kind === 'string' || a.kind === 'ints' || a.kind === 'floats') out[k] = a.value;
    else throw unsupported(c, `attribute ${k} of kind ${a.kind} cannot be passed to the engine`);
  }
  return out;
}

/** The engine's integer ops (domain npuquant), as emitted by lib/quantize/emulate.ts. */
const NPUQ_LOWER: Readonly<Record<string, LowerFn>> = {
  QConv: (c) => ({ op: 'QConv', attrs: { ...passThrough(c, WINDOW_ATTRS), ...lowerConv(c, false).attrs } }),
  QGemm: (c) => ({ op: 'QGemm', attrs: passThrough(c) }),
  QBinary: (c) => ({ op: 'QBinary', attrs: passThrough(c) }),
  QMaxPool: (c) => ({ op: 'QMaxPool', attrs: { ...passThrough(c, WINDOW_ATTRS), ...lowerPool(c).attrs } }),
  QAvgPool: (c) => ({ op: 'QAvgPool', attrs: { ...passThrough(c, WINDOW_ATTRS), ...lowerPool(c).attrs } }),
  QGlobalAvgPool: (c) => ({ op: 'QGlobalAvgPool', attrs: passThrough(c) }),
  Lut: (c) => ({ op: 'Lut', attrs: passThrough(c) }),
  Requantize: (c) => ({ op: 'Requantize', attrs: passThrough(c) }),
  QSoftmax: (c) => ({ op: 'QSoftmax', attrs: { ...passThrough(c, new Set(['axis'])), axis: normAxis(c.node.attrInt('axis', -1), c.inShape(0).length) } }),
  RoundFloat16: (c) => ({ op: 'RoundFloat16', attrs: passThrough(c) }),
  RoundBFloat16: (c) => ({ op: 'RoundBFloat16', attrs: passThrough(c) }),
  ErrorStats: (c) => ({ op: 'ErrorStats', attrs: passThrough(c) }),
};

export const LOWER: Readonly<Record<string, LowerFn>> = {
  ...NPUQ_LOWER,
  Conv: (c) => lowerConv(c, false),
  ConvTranspose: (c) => lowerConv(c, true),
  Gemm: (c) => ({
    op: 'Gemm',
    attrs: { transA: c.node.attrInt('transA', 0), transB: c.node.attrInt('transB', 0), alpha: c.node.attrFloat('alpha', 1), beta: c.node.attrFloat('beta', 1) },
  }),
  MatMul: same('MatMul'),
  BatchNormalization: (c) => {
    if (c.node.attrInt('training_mode', 0) || c.node.outputs.slice(1).some((o) => o)) throw unsupported(c, 'training mode is not supported');
    return { op: 'BatchNormalization', attrs: { epsilon: c.node.attrFloat('epsilon', 1e-5) }, outputs: [0] };
  },
  LayerNormalization: (c) => ({ op: 'LayerNormalization', attrs: { axis: normAxis(c.node.attrInt('axis', -1), c.inShape(0).length), epsilon: c.node.attrFloat('epsilon', 1e-5) } }),
  InstanceNormalization: (c) => ({ op: 'InstanceNormalization', attrs: { epsilon: c.node.attrFloat('epsilon', 1e-5) } }),
  Relu: unary('Relu'),
  LeakyRelu: unary('LeakyRelu', (c) => c.node.attrFloat('alpha', 0.01)),
  Clip: lowerClip,
  Sigmoid: unary('Sigmoid'),
  HardSigmoid: unary('HardSigmoid', (c) => c.node.attrFloat('alpha', 0.2), (c) => c.node.attrFloat('beta', 0.5)),
  HardSwish: unary('HardSwish'),
  Tanh: unary('Tanh'),
  Exp: unary('Exp'), Log: unary('Log'), Sqrt: unary('Sqrt'), Neg: unary('Neg'), Abs: unary('Abs'), Erf: unary('Erf'),
  Reciprocal: unary('Reciprocal'), Floor: unary('Floor'), Ceil: unary('Ceil'), Round: unary('Round'),
  Elu: unary('Elu', (c) => c.node.attrFloat('alpha', 1)),
  Selu: unary('Selu', (c) => c.node.attrFloat('alpha', SELU_ALPHA), (c) => c.node.attrFloat('gamma', SELU_GAMMA)),
  Softplus: unary('Softplus'),
  Softmax: (c) => ({ op: 'Softmax', attrs: { axis: normAxis(c.node.attrInt('axis', c.opset < 13 ? 1 : -1), c.inShape(0).length), legacy: c.opset < 13 ? 1 : 0 } }),
  LogSoftmax: (c) => ({ op: 'LogSoftmax', attrs: { axis: normAxis(c.node.attrInt('axis', c.opset < 13 ? 1 : -1), c.inShape(0).length), legacy: c.opset < 13 ? 1 : 0 } }),
  Add: same('Add'), Sub: same('Sub'), Mul: same('Mul'), Div: same('Div'), Pow: same('Pow'), PRelu: same('PRelu'),
  Equal: same('Equal'), Less: same('Less'), Greater: same('Greater'), LessOrEqual: same('LessOrEqual'), GreaterOrEqual: same('GreaterOrEqual'),
  Where: same('Where'),
  Expand: () => ({ op: 'Expand', attrs: {}, inputs: [0] }),
  Tile: () => ({ op: 'Tile', attrs: {}, inputs: [0] }),
  ReduceMean: lowerReduce, ReduceSum: lowerReduce, ReduceMax: lowerReduce, ReduceMin: lowerReduce, ReduceProd: lowerReduce,
  ReduceSumSquare: lowerReduce, ReduceL1: lowerReduce, ReduceL2: lowerReduce, ReduceLogSum: lowerReduce, ReduceLogSumExp: lowerReduce,
  MaxPool: lowerPool,
  AveragePool: lowerPool,
  GlobalAveragePool: same('GlobalAveragePool'),
  GlobalMaxPool: same('GlobalMaxPool'),
  Concat: (c) => ({ op: 'Concat', attrs: { axis: normAxis(c.node.attrInt('axis'), c.outShape(0).length) } }),
  Split: (c) => ({ op: 'Split', attrs: { axis: normAxis(c.node.attrInt('axis', 0), c.inShape(0).length) }, inputs: [0] }),
  Slice: lowerSlice,
  Transpose: (c) => {
    const r = c.inShape(0).length;
    return { op: 'Transpose', attrs: { perm: c.node.attrInts('perm', Array.from({ length: r }, (_, i) => r - 1 - i)).map((a) => normAxis(a, r)) } };
  },
  Gather: (c) => ({ op: 'Gather', attrs: { axis: normAxis(c.node.attrInt('axis', 0), c.inShape(0).length) } }),
  Pad: lowerPad,
  Resize: lowerResize,
  Upsample: lowerResize,
  Cast: () => ({ op: 'Cast', attrs: {} }),
  DepthToSpace: (c) => ({ op: 'DepthToSpace', attrs: { blocksize: c.node.attrInt('blocksize'), mode: c.node.attrString('mode', 'DCR') } }),
  SpaceToDepth: (c) => ({ op: 'SpaceToDepth', attrs: { blocksize: c.node.attrInt('blocksize') } }),
  QuantizeLinear: (c) => ({ op: 'QuantizeLinear', attrs: quantAxis(c) }),
  DequantizeLinear: (c) => ({ op: 'DequantizeLinear', attrs: quantAxis(c) }),
  DynamicQuantizeLinear: same('DynamicQuantizeLinear'),
  QLinearConv: lowerQLinearConv,
  ConvInteger: (c) => ({ op: 'ConvInteger', attrs: lowerConv(c, false).attrs }),
  QLinearMatMul: same('QLinearMatMul'),
  MatMulInteger: same('MatMulInteger'),
  Identity: copy, Reshape: copy, Flatten: copy, Squeeze: copy, Unsqueeze: copy,
  Dropout: (c) => {
    const ratio = c.hasInput(1) ? c.value(1)?.toNumbers()[0] : 0.5;
    const training = c.hasInput(2) ? c.value(2)?.toNumbers()[0] : 0;
    if (training === undefined || (training !== 0 && ratio !== 0)) throw unsupported(c, 'training-mode Dropout is not supported (export the model in eval mode)');
    if (c.node.outputs.length > 1 && c.node.outputs[1]) throw unsupported(c, 'the mask output of Dropout is not supported in the engine');
    return { op: 'Copy', attrs: {}, inputs: [0], outputs: [0] };
  },
};

/** Variadic ops lowered to a chain of binary engine ops (Sum -> Add, Mean -> Add then Div). */
export const VARIADIC: Readonly<Record<string, string>> = { Max: 'Max', Min: 'Min', Sum: 'Add', Mean: 'Add' };
