/**
 * The emulation graph of a quantized model: the float graph rewritten so the engine computes what
 * the chip computes. Integer nodes become the engine's profile-driven integer ops (domain npuquant:
 * QConv, QGemm, QBinary, QMaxPool, QAvgPool, QGlobalAvgPool, Lut, Requantize); data movement runs on
 * the integers unchanged; float and fake-quantized nodes run between DequantizeLinear and
 * QuantizeLinear (with float16/bfloat16 rounding where asked); layers left in float stay as they are.
 *
 * Names: a float tensor keeps its name wherever it exists in float (graph inputs and outputs, float
 * layers, dequantized views); its integer home is `<name>::q`; conversions to another quantization
 * are `<name>::q<k>`. The graph's outputs are the float model's outputs, dequantized.
 */
import { NpuqError } from '../errors';
import { Graph, Node, type Attribute } from '../ir/graph';
import { NPUQ_DOMAIN } from '../ir/ops/npuq';
import { runSteps, type Steps } from '../ir/steps';
import { halfToNumber, numberToHalf } from '../ir/ops/numeric';
import { Tensor, type DType } from '../ir/tensor';
import type { ChipProfile } from './profile';
import { fusedClampRange } from './resolve';
import { roundMode } from './rounding';
import { clipBounds, SHARED_PARAMS_OPS } from './plan/executions';
import { qbinaryAttrs } from './plan/eltwise-params';
import { activationQuant, sameQuant, viewQuant } from './plan/tensor-quant';
import { computeRequantParams } from './requant-params';
import type { NodeQuant, QuantPlan, TensorQuant } from './plan/types';
import type { QuantDType } from './params';
import { LUT_FUNCTIONS } from './lut';
import { emitDequantizeFirst, emitQuantize, type DqFirstContext } from './emulate-dqfirst';

/** Name of the integer home of a float tensor in an emulation graph. */
export const intName = (t: string): string => `${t}::q`;

const ARRAY: Record<string, (n: number) => Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array> = {
  int8: (n) => new Int8Array(n), uint8: (n) => new Uint8Array(n), int16: (n) => new Int16Array(n), uint16: (n) => new Uint16Array(n),
  int32: (n) => new Int32Array(n),
};

function intTensor(dtype: DType, shape: number[], values: ArrayLike<number>): Tensor {
  const a = ARRAY[dtype](values.length);
  a.set(values as ArrayLike<number>);
  return new Tensor(dtype, shape, a);
}

/** The float function of a unary node for lookup tables. */
function unaryFunction(graph: Graph, node: Node): (x: number) => number {
  switch (node.opType) {
    case 'Relu': return (x) => Math.max(0, x);
    case 'Clip': {
      const b = clipBounds(graph, node);
      if (!b) throw new NpuqError('UNSUPPORTED', `${node.describe()}: Clip bounds must be constants to build a lookup table`);
      return (x) => Math.min(b.max ?? Infinity, Math.max(b.min ?? -Infinity, x));
    }
    case 'LeakyRelu': { const a = node.attrFloat('alpha', 0.01); return (x) => (x >= 0 ? x : Math.fround(x * a)); }
    case 'HardSigmoid': {
      const a = node.attrFloat('alpha', 0.2), b = node.attrFloat('beta', 0.5);
      return (x) => Math.max(0, Math.min(1, Math.fround(Math.fround(a * x) + b)));
    }
    case 'Neg': return (x) => -x;
    case 'Abs': return Math.abs;
    default: {
      const f = LUT_FUNCTIONS[node.opType];
      if (!f) throw new NpuqError('UNSUPPORTED', `${node.describe()}: no lookup-table function for ${node.opType}`);
      return f;
    }
  }
}

/**
 * A lookup table over every input code, in float32 steps as a dequantize → op → quantize chain
 * computes them: `x = float32((q - zi) * si)`, `y = float32(f(x))`, `round(float32(y / so)) + zo`.
 */
export function buildLutFloat32(fn: (x: number) => number, input: TensorQuant, output: TensorQuant, rounding: ChipProfile['rounding']['requant']): Tensor {
  const wide = input.dtype.endsWith('16');
  const n = wide ? 65536 : 256;
  const signed = input.dtype === 'int8' || input.dtype === 'int16';
  const values = new Array<number>(n);
  const si = input.scale[0], zi = input.zeroPoint[0], so = output.scale[0], zo = output.zeroPoint[0];
  for (let i = 0; i < n; i++) {
    const q = signed && i >= n / 2 ? i - n : i;
    const y = Math.fround(fn(Math.fround((q - zi) * si)));
    let v = Number.isNaN(y) ? zo : y === Infinity ? output.qmax : y === -Infinity ? output.qmin : roundMode(Math.fround(y / so), rounding) + zo;
    v = Math.min(output.qmax, Math.max(output.qmin, v));
    values[i] = v;
  }
  return intTensor(output.dtype, [n], values);
}

/** Float16 value of every element (round to nearest even), as float32. */
function roundTensorFloat16(t: Tensor): Tensor {
  const src = t.data as Float32Array;
  return new Tensor('float32', t.shape.slice(), Float32Array.from(src, (v) => halfToNumber(numberToHalf(v))));
}

export interface EmulationGraph {
  graph: Graph;
  /** Integer home name of every quantized float tensor. */
  intNames: Map<string, string>;
  /** Float tensors that exist in float in the emulation (graph inputs and outputs, float layers, dequantized views). */
  floatNames: ReadonlySet<string>;
}

/**
 * The quantization of a constant operand of an integer Add/Sub/Mul: an activation quantization of
 * its range (0 included) at the node's precision, and its integers. The QDQ export writes the same.
 */
export function constOperandQuant(profile: ChipProfile, c: Tensor, dtype: QuantDType): { quant: TensorQuant; values: number[] } {
  const vals = c.toNumbers();
  const q = activationQuant(profile, { min: Math.min(0, ...vals), max: Math.max(0, ...vals) }, dtype);
  const values = vals.map((v) => Math.min(q.qmax, Math.max(q.qmin, roundMode(Math.fround(v / q.scale[0]), profile.rounding.input) + q.zeroPoint[0])));
  return { quant: q, values };
}

/** Builds the emulation graph of `plan` over the float graph it was planned on. */
export function buildEmulationGraph(src: Graph, plan: QuantPlan, profile: ChipProfile): EmulationGraph {
  return runSteps(buildEmulationGraphSteps(src, plan, profile));
}

/**
 * {@link buildEmulationGraph} as steps (one per node of `src`), for callers that run it in time
 * slices (`runStepsSliced`, lib/ir/steps.ts); gives the same graph.
 */
export function* buildEmulationGraphSteps(src: Graph, plan: QuantPlan, profile: ChipProfile): Steps<EmulationGraph> {
  const g = new Graph();
  g.opsets = new Map(src.opsets);
  g.opsets.set(NPUQ_DOMAIN, 1);
  g.inputs = src.inputs.map((i) => ({ ...i, shape: i.shape?.slice() }));
  g.outputs = src.outputs.map((o) => ({ ...o, dtype: 'float32', shape: o.shape?.slice() }));
  for (const [k, t] of src.initializers) g.initializers.set(k, t);
  const floatAvail = new Set<string>(src.inputs.map((i) => i.name));
  const intAvail = new Set<string>();
  const conversions = new Map<string, string>();
  const isConst = (name: string) => src.initializers.has(name);
  let counter = 0;
  const emit = (name: string, op: string, inputs: string[], outputs: string[], attrs: Record<string, Attribute> = {}, domain = ''): Node => {
    const n = new Node(name, op, inputs, outputs, domain);
    for (const [k, a] of Object.entries(attrs)) n.attrs.set(k, a);
    g.nodes.push(n);
    return n;
  };
  const init = (name: string, t: Tensor): string => {
    g.initializers.set(name, t);
    return name;
  };
  const scaleZp = (base: string, q: TensorQuant): [string, string] => [
    init(`${base}::scale`, new Tensor('float32', q.scale.length > 1 ? [q.scale.length] : [], Float32Array.from(q.scale))),
    init(`${base}::zp`, intTensor(q.dtype, q.zeroPoint.length > 1 ? [q.zeroPoint.length] : [], q.zeroPoint)),
  ];
  const quantizeNode = (x: string, q: TensorQuant, out: string) => {
    if (profile.requant.reciprocalScales && q.scale.length === 1) {
      emitQuantize(dqCtx, x, q, out);  // v * (1 / s), as ncnn
      return;
    }
    const [s, z] = scaleZp(out, q);
    emit(`${out}::quantize`, 'QuantizeLinear', [x, s, z], [out], { round: { kind: 'string', value: profile.rounding.input } });
  };
  const dequantizeNode = (x: string, q: TensorQuant, out: string) => {
    const [s, z] = scaleZp(out, q);
    emit(`${out}::dequantize`, 'DequantizeLinear', [x, s, z], [out]);
  };
  const home = (t: string): TensorQuant => {
    const q = plan.tensors.get(t);
    if (!q) throw new NpuqError('INVALID_ARGUMENT', `tensor "${t}" has no quantization in the plan`);
    return q;
  };
  const getFloat = (t: string): string => {
    if (floatAvail.has(t) || isConst(t)) return t;
    if (!intAvail.has(t)) throw new NpuqError('INVALID_MODEL', `tensor "${t}" is read before it is produced`);
    dequantizeNode(intName(t), home(t), t);
    floatAvail.add(t);
    return t;
  };
  const ensureHome = (t: string): string => {
    if (!intAvail.has(t)) {
      quantizeNode(getFloat(t), home(t), intName(t));
      intAvail.add(t);
    }
    return intName(t);
  };
  /** Integer tensor of `t` in quantization `want`, converting from its home when they differ. */
  const getInt = (t: string, want: TensorQuant): string => {
    const h = plan.tensors.get(t);
    if (h && sameQuant(h, want)) return ensureHome(t);
    const key = `${t}|${want.dtype}|${want.scale.join(',')}|${want.zeroPoint.join(',')}`;
    const known = conversions.get(key);
    if (known) return known;
    const name = `${intName(t)}${++counter}`;
    if (h && (intAvail.has(t) || !floatAvail.has(t))) {
      // Requantize between quantizations: float QDQ semantics, or the chip's integer requant.
      if (profile.requant.method === 'float_scale' || profile.eltwise.style === 'float') {
        // (`::src`, not `::f`: emitFloat names the dequantized view of the converted integers `::f`.)
        const f = `${name}::src`;
        dequantizeNode(ensureHome(t), h, f);
        quantizeNode(f, want, name);
      } else {
        const r = computeRequantParams(profile.requant, h.scale[0], [1], want.scale[0]);
        emit(`${name}::requantize`, 'Requantize', [ensureHome(t), ...requantInputs(name, r)], [name], {
          in_zp: { kind: 'int', value: h.zeroPoint[0] }, out_zp: { kind: 'int', value: want.zeroPoint[0] },
          qmin: { kind: 'int', value: want.qmin }, qmax: { kind: 'int', value: want.qmax },
          method: { kind: 'string', value: r.method }, round: { kind: 'string', value: profile.rounding.requant },
          out_dtype: { kind: 'string', value: want.dtype },
        }, NPUQ_DOMAIN);
      }
    } else {
      quantizeNode(getFloat(t), want, name);
    }
    conversions.set(key, name);
    return name;
  };
  const requantInputs = (base: string, r: { scale: number[]; multiplier: number[]; shift: number[] }): string[] => [
    r.scale.length ? init(`${base}::rq_scale`, new Tensor('float32', [r.scale.length], Float32Array.from(r.scale))) : '',
    r.multiplier.length ? init(`${base}::rq_multiplier`, intTensor('int32', [r.multiplier.length], r.multiplier)) : '',
    r.shift.length ? init(`${base}::rq_shift`, intTensor('int32', [r.shift.length], r.shift)) : '',
  ];
  const copyAttrs = (n: Node, names?: readonly string[]): Record<string, Attribute> => {
    const out: Record<string, Attribute> = {};
    for (const [k, a] of n.attrs) if (!names || names.includes(k)) out[k] = a;
    return out;
  };
  const int = (v: number): Attribute => ({ kind: 'int', value: v });
  const str = (v: string): Attribute => ({ kind: 'string', value: v });
  const quantAttrs = (out: TensorQuant, clamp?: { qmin: number; qmax: number }): Record<string, Attribute> => ({
    out_zp: int(out.zeroPoint[0]), qmin: int(clamp?.qmin ?? out.qmin), qmax: int(clamp?.qmax ?? out.qmax), out_dtype: str(out.dtype),
  });
  const nodeOf = new Map(src.nodes.map((n) => [n.name, n]));
  const dqCtx: DqFirstContext = {
    src, profile, emit, init, intTensor, getInt: (t, q) => getInt(t, q), intName,
    markInt: (t) => intAvail.add(t), markFloat: (t) => floatAvail.add(t),
  };

  for (const node of src.nodes) {
    yield;
    const nq = plan.nodes.get(node.name);
    if (!nq) throw new NpuqError('INVALID_ARGUMENT', `the plan has no entry for ${node.describe()}`);
    if (nq.fusedInto !== undefined) continue;
    const p = nq.precision as QuantDType;
    const inView = (t: string): TensorQuant => viewQuant(profile, home(t), p);
    const outName = nq.activation ? nodeOf.get(nq.activation.node)!.outputs[0] : node.outputs[0];
    const markInt = (...ts: string[]) => ts.forEach((t) => t && intAvail.add(t));
    if (nq.execution === 'keep_float' || nq.execution === 'float' || nq.execution === 'float16' || nq.execution === 'bfloat16') {
      emitFloat(node, nq);
      // A layer planned with a fused Relu/Clip that then fell back to float (e.g. BM1684's int16 bias):
      // the activation runs in float after it and writes the quantized output.
      if (nq.activation) emitFloat(nodeOf.get(nq.activation.node)!, nq);
      continue;
    }
    if (nq.execution === 'lut') {
      const x = node.inputs[0];
      const inQ = inView(x), outQ = home(outName);
      const table = init(`${node.name}::table`, buildLutFloat32(unaryFunction(src, node), inQ, outQ, profile.rounding.requant));
      emit(node.name, 'Lut', [getInt(x, inQ), table], [intName(outName)], {}, NPUQ_DOMAIN);
      markInt(outName);
      continue;
    }
    // Integer execution.
    const op = node.opType;
    if (nq.weight && profile.requant.dequantizeFirst) {
      const act = nq.activation ? nodeOf.get(nq.activation.node) : undefined;
      emitDequantizeFirst(dqCtx, node, nq, inView(node.inputs[0]), plan.tensors.get(outName), outName, act);
      continue;
    }
    if (nq.weight) {
      const outQ = home(outName);
      const inQ = inView(node.inputs[0]);
      const w = nq.weight;
      const wShape = src.initializers.get(w.tensor)!.shape.slice();
      const wName = init(`${node.name}::w`, intTensor(w.quant.dtype, wShape, w.values));
      const bName = nq.bias ? init(`${node.name}::b`, nq.bias.dtype === 'int64'
        ? new Tensor('int64', [nq.bias.values.length], BigInt64Array.from(nq.bias.values, (v) => BigInt(v)))
        : intTensor('int32', [nq.bias.values.length], nq.bias.values)) : '';
      const zp = init(`${node.name}::w_zp`, intTensor('int32', [w.quant.zeroPoint.length], w.quant.zeroPoint));
      const r = nq.requant!;
      const attrs: Record<string, Attribute> = {
        ...quantAttrs(outQ, nq.clamp), method: str(r.method), round: str(profile.rounding.requant),
      };
      const x = getInt(node.inputs[0], inQ);
      if (op === 'Conv') {
        Object.assign(attrs, copyAttrs(node, ['kernel_shape', 'strides', 'pads', 'dilations', 'auto_pad', 'group']), { in_zp: int(inQ.zeroPoint[0]) });
        emit(node.name, 'QConv', [x, wName, bName, ...requantInputs(node.name, r), zp], [intName(outName)], attrs, NPUQ_DOMAIN);
      } else if (op === 'MatMul') {
        // A of any rank: its rows are the rows of a 2-D QGemm (same arithmetic); the result takes
        // A's leading dimensions back.
        Object.assign(attrs, { transB: int(0), a_zp: int(inQ.zeroPoint[0]) });
        const [K, N] = wShape;
        const i64 = (name: string, v: number[]) => init(`${node.name}::${name}`, new Tensor('int64', [v.length], BigInt64Array.from(v, (d) => BigInt(d))));
        const base = `${node.name}::2d`;
        emit(`${base}::a`, 'Reshape', [x, i64('rows', [-1, K])], [`${base}::a`]);
        emit(node.name, 'QGemm', [`${base}::a`, wName, bName, ...requantInputs(node.name, r), zp], [`${base}::y`], attrs, NPUQ_DOMAIN);
        emit(`${base}::ashape`, 'Shape', [x], [`${base}::ashape`]);
        if (src.opset >= 10) emit(`${base}::lead`, 'Slice', [`${base}::ashape`, i64('s0', [0]), i64('s1', [-1]), i64('s2', [0])], [`${base}::lead`]);
        else emit(`${base}::lead`, 'Slice', [`${base}::ashape`], [`${base}::lead`], { starts: { kind: 'ints', value: [0] }, ends: { kind: 'ints', value: [-1] }, axes: { kind: 'ints', value: [0] } });
        emit(`${base}::yshape`, 'Concat', [`${base}::lead`, i64('n', [N])], [`${base}::yshape`], { axis: int(0) });
        emit(`${base}::y`, 'Reshape', [`${base}::y`, `${base}::yshape`], [intName(outName)]);
      } else {
        Object.assign(attrs, { transB: int(op === 'Gemm' ? node.attrInt('transB', 0) : 0), a_zp: int(inQ.zeroPoint[0]) });
        emit(node.name, 'QGemm', [x, wName, bName, ...requantInputs(node.name, r), zp], [intName(outName)], attrs, NPUQ_DOMAIN);
      }
      markInt(outName);
      continue;
    }
    if (op === 'MatMul' && nq.requant) {
      // Two activations (any rank, broadcast batch): exact int32 accumulators, then the per-tensor
      // requantization of a 2-D QGemm.
      const outQ = home(outName);
      const [a, b] = node.inputs;
      const qa = inView(a), qb = inView(b);
      const acc = `${node.name}::acc`;
      emit(node.name, 'MatMulInteger', [getInt(a, qa), getInt(b, qb), init(`${node.name}::a_zp`, intTensor(qa.dtype, [], [qa.zeroPoint[0]])),
        init(`${node.name}::b_zp`, intTensor(qb.dtype, [], [qb.zeroPoint[0]]))], [acc]);
      emit(`${node.name}::requantize`, 'Requantize', [acc, ...requantInputs(node.name, nq.requant)], [intName(outName)], {
        ...quantAttrs(outQ, nq.clamp), in_zp: int(0), method: str(nq.requant.method), round: str(profile.rounding.requant),
      }, NPUQ_DOMAIN);
      markInt(outName);
      continue;
    }
    if (op === 'Add' || op === 'Sub' || op === 'Mul') {
      const outQ = home(outName);
      const operand = (t: string, k: number): [string, TensorQuant] => {
        if (!isConst(t)) {
          const q = inView(t);
          return [getInt(t, q), q];
        }
        const c = src.initializers.get(t)!;
        const { quant: q, values: qv } = constOperandQuant(profile, c, p);
        return [init(`${node.name}::c${k}`, intTensor(q.dtype, c.shape.slice(), qv)), q];
      };
      const [a, qa] = operand(node.inputs[0], 0);
      const [b, qb] = operand(node.inputs[1], 1);
      const attrs = qbinaryAttrs(profile, op.toLowerCase() as 'add', qa, qb, outQ);
      if (!attrs) throw new NpuqError('UNSUPPORTED', `${node.describe()}: eltwise style ${profile.eltwise.style} is not emulated`);
      const clamp = nq.activation ? fusedClampRange({ dtype: outQ.dtype, scale: outQ.scale[0], zeroPoint: outQ.zeroPoint[0], qmin: outQ.qmin, qmax: outQ.qmax }, nq.activation, profile.rounding.input) : undefined;
      emit(node.name, 'QBinary', [a, b], [intName(outName)], { ...quantAttrs(outQ, clamp), ...attrs }, NPUQ_DOMAIN);
      markInt(outName);
      continue;
    }
    if (op === 'Softmax') {
      // onnxruntime's QLinearSoftmax (native/engine/ops/qsoftmax.cc): exponentials from a 256-entry
      // table of the input scale, a float row sum, and floor(1 / output scale).
      const outQ = home(outName), inQ = inView(node.inputs[0]);
      emit(node.name, 'QSoftmax', [getInt(node.inputs[0], inQ)], [intName(outName)], {
        x_scale: { kind: 'float', value: inQ.scale[0] }, y_scale: { kind: 'float', value: outQ.scale[0] }, y_zp: int(outQ.zeroPoint[0]),
        axis: int(node.attrInt('axis', src.opset < 13 ? 1 : -1)), legacy: int(src.opset < 13 ? 1 : 0), out_dtype: str(outQ.dtype),
      }, NPUQ_DOMAIN);
      markInt(outName);
      continue;
    }
    if (op === 'GlobalAveragePool') {
      const outQ = home(outName), inQ = inView(node.inputs[0]);
      emit(node.name, 'QGlobalAvgPool', [getInt(node.inputs[0], inQ)], [intName(outName)], {
        ...quantAttrs(outQ), in_zp: int(inQ.zeroPoint[0]), method: str('float_scale'), round: str(profile.rounding.requant),
        in_scale: { kind: 'float', value: inQ.scale[0] }, out_scale: { kind: 'float', value: outQ.scale[0] },
      }, NPUQ_DOMAIN);
      markInt(outName);
      continue;
    }
    if (op === 'Concat') {
      const outQ = home(outName);
      emit(node.name, 'Concat', node.inputs.map((t) => getInt(t, outQ)), [intName(outName)], copyAttrs(node));
      markInt(outName);
      continue;
    }
    if (SHARED_PARAMS_OPS.has(op)) {
      const outQ = home(node.outputs[0]);
      const x = getInt(node.inputs[0], outQ);
      const rest = node.inputs.slice(1).map((t, k) => {
        if (!t) return t;
        if (op === 'Pad' && k === 1) {
          const v = src.initializers.get(t)?.toNumbers()[0] ?? 0;
          const q = Math.min(outQ.qmax, Math.max(outQ.qmin, roundMode(Math.fround(v / outQ.scale[0]), profile.rounding.input) + outQ.zeroPoint[0]));
          return init(`${node.name}::pad_value`, intTensor(outQ.dtype, [], [q]));
        }
        return isConst(t) ? t : getFloat(t);
      });
      const outs = node.outputs.map((o) => (o ? intName(o) : o));
      if (op === 'MaxPool' || op === 'AveragePool') {
        emit(node.name, op === 'MaxPool' ? 'QMaxPool' : 'QAvgPool', [x], [outs[0]], {
          ...copyAttrs(node), zp: int(outQ.zeroPoint[0]), round: str(profile.rounding.requant),
        }, NPUQ_DOMAIN);
      } else {
        emit(node.name, op, [x, ...rest], outs, copyAttrs(node));
      }
      markInt(...node.outputs.filter((o) => o));
      continue;
    }
    throw new NpuqError('UNSUPPORTED', `${node.describe()}: no integer emulation for ${op}`);
  }
  for (const o of src.outputs) getFloat(o.name);
  yield;
  g.sortTopologically();
  const intNames = new Map<string, string>();
  for (const t of plan.tensors.keys()) if (intAvail.has(t)) intNames.set(t, intName(t));
  return { graph: g, intNames, floatNames: floatAvail };

  /** A node computed in float: dequantized inputs (in its precision), float op, quantized outputs. */
  function emitFloat(node: Node, nq: NodeQuant): void {
    const half = nq.execution === 'float16' || nq.execution === 'bfloat16';
    const rounder = nq.execution === 'bfloat16' ? 'RoundBFloat16' : 'RoundFloat16';
    const integerOut = nq.execution !== 'keep_float' && !['float16', 'bfloat16', 'float32'].includes(nq.precision);
    const inputs = node.inputs.map((t) => {
      if (!t) return t;
      if (isConst(t)) {
        if (!half || src.initializers.get(t)!.dtype !== 'float32') return t;
        return init(`${t}::f16`, roundTensorFloat16(src.initializers.get(t)!));
      }
      let f: string;
      if (integerOut && plan.tensors.has(t) && plan.tensors.get(t)!.dtype !== nq.precision) {
        const view = viewQuant(profile, home(t), nq.precision as QuantDType);
        f = `${getInt(t, view)}::f`;
        if (!floatAvail.has(f)) { dequantizeNode(getInt(t, view), view, f); floatAvail.add(f); }
      } else {
        f = getFloat(t);
      }
      if (!half) return f;
      const r = `${t}::${rounder}`;
      if (!floatAvail.has(r)) { emit(`${r}::node`, rounder, [f], [r], {}, NPUQ_DOMAIN); floatAvail.add(r); }
      return r;
    });
    const outs = node.outputs.map((o) => (o && (integerOut || half) ? `${o}::f` : o));
    emit(node.name, node.opType, inputs, outs, copyAttrs(node), node.domain);
    node.outputs.forEach((o, k) => {
      if (!o) return;
      if (half) emit(`${o}::${rounder}`, rounder, [outs[k]], integerOut ? [`${o}::fr`] : [o], {}, NPUQ_DOMAIN);
      if (integerOut && plan.tensors.has(o)) {
        quantizeNode(half ? `${o}::fr` : outs[k], home(o), intName(o));
        intAvail.add(o);
      } else if (!integerOut) {
        floatAvail.add(o);
      } else {
        emit(`${o}::copy`, 'Identity', [half ? `${o}::fr` : outs[k]], [o]);
        floatAvail.add(o);
      }
    });
  }
}
