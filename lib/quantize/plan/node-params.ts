/**
 * Step 3 of planning: the integer parameters of weighted nodes (Conv, Gemm, MatMul with a constant
 * B): quantized weights per the profile (per channel or per tensor, fitted to the requant where the
 * chip does that), the integer bias in accumulator units, the requantization multipliers and the
 * output clamp (narrowed by a fused Relu/Clip).
 *
 * Float32 arithmetic follows onnxruntime's quantizer and kernels wherever the order matters:
 * `q = round(float32(w / s))`, bias scale `float32(s_in * s_w)`, requant scale
 * `float32(float32(s_in * s_w) / s_out)` (QLinearConv, QGemm).
 */
import type { Graph, Node } from '../../ir/graph';
import type { Tensor } from '../../ir/tensor';
import { computeRequantParams, weightParams, type FloatRange, type QuantDType, type QuantParams } from '../params';
import type { ChipProfile } from '../profile';
import { fusedClampRange, resolveWeightSpec } from '../resolve';
import { roundMode } from '../rounding';
import type { Execution } from './executions';
import { viewQuant } from './tensor-quant';
import { dequantizeFactors } from '../dequantize-first';
import type { NodeQuant, TensorQuant } from './types';

export interface NodeParamsContext {
  graph: Graph;
  node: Node;
  exec: Execution;
  profile: ChipProfile;
  tensors: Map<string, TensorQuant>;
  constant(name: string): Tensor | undefined;
  isActivation(name: string): boolean;
  execs: Map<string, Execution>;
  /** Bits of the weights' integer range when narrower than their type (PlanOptions.weightBits). Default: the type's. */
  weightBits?: number;
}

function asParams(q: TensorQuant, c = 0): QuantParams {
  return { dtype: q.dtype, scale: q.scale[c], zeroPoint: q.zeroPoint[c], qmin: q.qmin, qmax: q.qmax };
}

/** Per-output-channel float ranges of a weight tensor along `axis`. */
function channelRanges(w: Tensor, axis: number): FloatRange[] {
  const v = w.data as Float32Array;
  const dims = w.shape;
  const n = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const r: FloatRange[] = Array.from({ length: n }, () => ({ min: Infinity, max: -Infinity }));
  for (let i = 0; i < v.length; i++) {
    const c = Math.floor(i / inner) % n;
    const x = v[i];
    if (x < r[c].min) r[c].min = x;
    if (x > r[c].max) r[c].max = x;
  }
  return r.map((x) => (x.min <= x.max ? x : { min: 0, max: 0 }));
}

const qtypeMin = (d: QuantDType): number => (d === 'int8' ? -128 : d === 'int16' ? -32768 : 0);
const qtypeMax = (d: QuantDType): number => (d === 'int8' ? 127 : d === 'uint8' ? 255 : d === 'int16' ? 32767 : 65535);

function fakeQuant(base: NodeQuant, note: string): NodeQuant {
  return { ...base, execution: 'float', emulation: 'fake_quant', note };
}

/**
 * MatMul of two activations (any rank, batch dimensions broadcast): the int32 accumulator of the
 * zero-point-centred integers, requantized per tensor with scale `s_a * s_b / s_out` as a 2-D QGemm
 * with per-tensor weights does it (profile requant method and rounding). 8-bit operands only.
 */
function planActivationMatMul(c: NodeParamsContext, base: NodeQuant): NodeQuant {
  const { node, exec, profile } = c;
  const [a, b] = node.inputs;
  const outName = exec.activation ? c.graph.nodes.find((n) => n.name === exec.activation!.node)!.outputs[0] : node.outputs[0];
  const aHome = c.tensors.get(a), bHome = c.tensors.get(b), outQ = c.tensors.get(outName);
  const precision = exec.precision as QuantDType;
  if (!aHome || !bHome || !outQ) return fakeQuant(base, 'MatMul input or output is not quantized: runs in float');
  if (precision.endsWith('16')) return fakeQuant(base, 'MatMul of two 16-bit activations has no integer kernel: runs in float');
  if (profile.requant.dequantizeFirst) return fakeQuant(base, 'MatMul of two activations with dequantize-first requantization is not emulated: runs in float');
  const aQ = viewQuant(profile, aHome, precision), bQ = viewQuant(profile, bHome, precision);
  const out: NodeQuant = { ...base };
  try {
    out.requant = computeRequantParams(profile.requant, aQ.scale[0], [bQ.scale[0]], outQ.scale[0]);
  } catch (e) {
    return fakeQuant(base, `MatMul of two activations: ${(e as Error).message}: runs in float`);
  }
  out.clamp = exec.activation
    ? fusedClampRange(asParams(outQ), { opType: exec.activation.opType, min: exec.activation.min, max: exec.activation.max }, profile.rounding.input)
    : { qmin: outQ.qmin, qmax: outQ.qmax };
  return out;
}

/** The plan entry of one node. */
export function planNodeParams(c: NodeParamsContext): NodeQuant {
  const { node, exec, profile } = c;
  const base: NodeQuant = {
    name: node.name, opType: node.opType, execution: exec.execution, precision: exec.precision,
    emulation: exec.fakeQuantNote ? 'fake_quant' : 'exact',
  };
  if (exec.fakeQuantNote) base.note = exec.fakeQuantNote;
  if (exec.activation) base.activation = exec.activation;
  if (exec.fusedInto !== undefined) base.fusedInto = exec.fusedInto;
  if (exec.execution !== 'integer' || exec.fusedInto !== undefined) return base;
  if (node.opType !== 'Conv' && node.opType !== 'Gemm' && node.opType !== 'MatMul') return base;

  const w = c.constant(node.inputs[1]);
  if (!w && node.opType === 'MatMul' && c.isActivation(node.inputs[1])) return planActivationMatMul(c, base);
  if (!w || w.dtype !== 'float32') return fakeQuant(base, `${node.opType} with a non-constant second input has no integer kernel: runs in float`);
  let axis = 0;
  if (node.opType === 'Gemm') {
    if (node.attrInt('transA', 0) !== 0 || node.attrFloat('alpha', 1) !== 1 || node.attrFloat('beta', 1) !== 1) {
      return fakeQuant(base, 'Gemm with transA, alpha or beta has no integer kernel: runs in float');
    }
    axis = node.attrInt('transB', 0) ? 0 : 1;
  } else if (node.opType === 'MatMul') {
    if (w.shape.length !== 2) return fakeQuant(base, 'MatMul with a B of rank other than 2 runs in float');
    axis = 1;
  } else if (w.shape.length !== 4 && w.shape.length !== 3) {
    return fakeQuant(base, `${w.shape.length - 2}-D Conv has no integer kernel: runs in float`);
  }
  const x = node.inputs[0];
  const home = c.tensors.get(x);
  const outName = exec.activation ? c.graph.nodes.find((n) => n.name === exec.activation!.node)!.outputs[0] : node.outputs[0];
  const outQ = c.tensors.get(outName);
  // Dequantize-first layers (ncnn) may leave their output float: the consumer runs in float.
  const dqFirst = profile.requant.dequantizeFirst;
  if (!home || (!outQ && !dqFirst)) return fakeQuant(base, 'input or output is not quantized: runs in float');
  if (dqFirst && outQ && !profile.requant.reciprocalScales && (outQ.qmin !== qtypeMin(outQ.dtype) || outQ.qmax !== qtypeMax(outQ.dtype))) {
    return fakeQuant(base, 'a narrow output range with dequantize-first requantization by division is not emulated: runs in float');
  }
  const precision = exec.precision as QuantDType;
  const inQ = viewQuant(profile, home, precision);
  const wide = precision.endsWith('16');

  // Weights.
  const spec = resolveWeightSpec(profile, node.opType);
  const wDtype = wide && profile.weights.allowed.includes('int16') ? 'int16' : spec.dtype;
  const wProfile: ChipProfile = wDtype === spec.dtype ? profile : { ...profile, weights: { ...profile.weights, dtype: wDtype, byOp: {} } };
  const ranges = channelRanges(w, axis);
  const bConst = node.inputs[2] ? c.constant(node.inputs[2]) : undefined;
  const biasAbsmax = bConst?.dtype === 'float32' ? Array.from(bConst.data as Float32Array, Math.abs) : undefined;
  const wq = weightParams(wProfile, node.opType, ranges, { inputScale: inQ.scale[0], outputScale: outQ?.scale[0] ?? 1, biasAbsmax }, wDtype === spec.dtype ? c.weightBits : undefined);
  const perChannel = wq.length > 1;
  const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = w.shape[axis];
  const src = w.data as Float32Array;
  const values = new Array<number>(src.length);
  const wr = profile.rounding.weight;
  for (let i = 0; i < src.length; i++) {
    const ch = perChannel ? Math.floor(i / inner) % n : 0;
    const q = wq[ch];
    const v = q.fit ? roundMode(Math.fround(src[i] * q.fit.weightFactor), wr) : roundMode(Math.fround(src[i] / q.scale), wr) + q.zeroPoint;
    values[i] = Math.min(q.qmax, Math.max(q.qmin, v));
  }
  const weightQuant: TensorQuant = {
    dtype: wq[0].dtype, scale: wq.map((q) => q.scale), zeroPoint: wq.map((q) => q.zeroPoint), qmin: wq[0].qmin, qmax: wq[0].qmax,
  };
  if (perChannel) weightQuant.axis = axis;
  const out: NodeQuant = { ...base, weight: { tensor: node.inputs[1], quant: weightQuant, values } };

  // Bias.
  const biasName = node.inputs[2];
  if (biasName) {
    const b = c.constant(biasName);
    const channels = n;
    if (!b || b.dtype !== 'float32' || b.size !== channels) return fakeQuant(base, 'bias is not a constant with one value per output channel: runs in float');
    let dtype = profile.bias.dtype;
    if (dtype === 'int32' && wide) dtype = 'int64';
    if (dtype === 'float32' && dqFirst) {
      // Kept float: added to the dequantized accumulator (lib/quantize/dequantize-first.ts). The
      // scale is the dequantization factor of each channel.
      out.bias = { tensor: biasName, dtype, scale: dequantizeFactors(profile, inQ.scale[0], weightQuant.scale), values: Array.from(b.data as Float32Array) };
    } else if (dtype === 'float32' || dtype === 'int16') {
      return fakeQuant(base, `${dtype} bias (${profile.name}) is not emulated bit-exactly yet: runs in float`);
    } else {
      const lim = dtype === 'int32' ? 2147483647 : Number.MAX_SAFE_INTEGER;
      const bv = b.data as Float32Array;
      const scales = weightQuant.scale.map((sw) => Math.fround(inQ.scale[0] * sw));
      out.bias = {
        tensor: biasName, dtype, scale: scales,
        values: Array.from(bv, (v, ch) => {
          const s = scales[perChannel ? ch : 0];
          const q = s === 0 ? 0 : roundMode(Math.fround(v / s), profile.rounding.bias);
          return Math.min(lim, Math.max(-lim - 1, q));
        }),
      };
    }
  }
  if (!outQ) return out;  // dequantize-first with a float output: no requantization

  // Requantization and clamp.
  const fit = wq[0].fit;
  if (fit) {
    // A fit gives a right shift; the fixed-point requant takes gemmlowp's shift (> 0 left).
    const sign = profile.requant.method === 'fixed_point_double' ? -1 : 1;
    out.requant = {
      method: profile.requant.method, perChannel,
      scale: [], multiplier: wq.map((q) => q.fit!.multiplier ?? 1), shift: wq.map((q) => sign * q.fit!.rshift || 0),
    };
  } else {
    out.requant = computeRequantParams(profile.requant, inQ.scale[0], weightQuant.scale, outQ.scale[0]);
  }
  out.clamp = exec.activation
    ? fusedClampRange(asParams(outQ), { opType: exec.activation.opType, min: exec.activation.min, max: exec.activation.max }, profile.rounding.input)
    : { qmin: outQ.qmin, qmax: outQ.qmax };
  return out;
}
