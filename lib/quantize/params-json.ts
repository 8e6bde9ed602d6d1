/**
 * quant_params.json: the quantization of every tensor (activations by their float names, weights by
 * their initializer names, biases) and the precision and execution of every node. Written by
 * `npuquant quantize`, read back by `npuquant run --quantized` to replay the plan without
 * calibrating again.
 */
import { NpuqError } from '../errors';
import type { FloatRange, QuantDType } from './params';
import type { Precision } from './profile';
import type { QuantPlan, TensorQuant } from './plan/types';

export const QUANT_PARAMS_FORMAT = 'npuquant.quant_params/1';

export interface TensorParamsJson {
  /** `activation`, `weight` or `bias`. */
  role: 'activation' | 'weight' | 'bias';
  dtype: string;
  scale: number[];
  zero_point: number[];
  axis?: number;
  qmin?: number;
  qmax?: number;
  /** Calibrated float range of an activation. */
  range?: [number, number];
}

export interface NodeParamsJson {
  op: string;
  precision: Precision;
  execution: string;
  emulation: 'exact' | 'fake_quant';
  fused_into?: string;
  activation?: string;
  note?: string;
}

export interface QuantParamsJson {
  format: string;
  target: string;
  /** Graph passes run on the float model before planning (model.float.onnx is their result). */
  optimize?: string[];
  tensors: Record<string, TensorParamsJson>;
  nodes: Record<string, NodeParamsJson>;
}

/** The JSON object of a quantized model's plan. */
export function quantParamsJson(qm: { plan: QuantPlan; optimize?: readonly string[] }): QuantParamsJson {
  const { plan } = qm;
  const tensors: Record<string, TensorParamsJson> = {};
  for (const [name, q] of plan.tensors) {
    const r = plan.ranges.get(name);
    tensors[name] = { role: 'activation', dtype: q.dtype, scale: q.scale, zero_point: q.zeroPoint, qmin: q.qmin, qmax: q.qmax };
    if (r) tensors[name].range = [r.min, r.max];
  }
  const nodes: Record<string, NodeParamsJson> = {};
  for (const [name, n] of plan.nodes) {
    const j: NodeParamsJson = { op: n.opType, precision: n.precision, execution: n.execution, emulation: n.emulation };
    if (n.fusedInto !== undefined) j.fused_into = n.fusedInto;
    if (n.activation) j.activation = n.activation.node;
    if (n.note) j.note = n.note;
    nodes[name] = j;
    if (n.weight) {
      const w = n.weight.quant;
      tensors[n.weight.tensor] = { role: 'weight', dtype: w.dtype, scale: w.scale, zero_point: w.zeroPoint, qmin: w.qmin, qmax: w.qmax };
      if (w.axis !== undefined) tensors[n.weight.tensor].axis = w.axis;
    }
    if (n.bias) {
      tensors[n.bias.tensor] = { role: 'bias', dtype: n.bias.dtype, scale: n.bias.scale, zero_point: n.bias.scale.map(() => 0) };
      if (n.bias.scale.length > 1) tensors[n.bias.tensor].axis = 0;
    }
  }
  return { format: QUANT_PARAMS_FORMAT, target: plan.target, ...(qm.optimize ? { optimize: [...qm.optimize] } : {}), tensors, nodes };
}

/** What a saved quant_params.json gives back to the planner. */
export interface ReplayParams {
  target: string;
  tensors: Map<string, TensorQuant>;
  ranges: Map<string, FloatRange>;
  precision: Record<string, Precision>;
  /** Passes the float model went through before planning, when recorded. */
  optimize?: string[];
}

/** Reads the activation parameters and per-node precisions of a quant_params.json object. */
export function parseQuantParams(json: unknown, file: string): ReplayParams {
  const bad = (what: string): never => {
    throw new NpuqError('INVALID_DATA', `${file}: ${what}; write it again with npuquant quantize`, { file });
  };
  if (typeof json !== 'object' || json === null) bad('not a JSON object');
  const j = json as Partial<QuantParamsJson>;
  if (j.format !== QUANT_PARAMS_FORMAT) bad(`format is ${JSON.stringify(j.format)}, expected "${QUANT_PARAMS_FORMAT}"`);
  if (typeof j.target !== 'string') bad('target is missing');
  const tensors = new Map<string, TensorQuant>();
  const ranges = new Map<string, FloatRange>();
  for (const [name, t] of Object.entries(j.tensors ?? {})) {
    if (t.role !== 'activation') continue;
    if (!Array.isArray(t.scale) || !Array.isArray(t.zero_point) || typeof t.qmin !== 'number' || typeof t.qmax !== 'number') bad(`tensor "${name}" lacks scale, zero_point, qmin or qmax`);
    tensors.set(name, { dtype: t.dtype as QuantDType, scale: t.scale, zeroPoint: t.zero_point, qmin: t.qmin!, qmax: t.qmax! });
    if (t.range) ranges.set(name, { min: t.range[0], max: t.range[1] });
  }
  const precision: Record<string, Precision> = {};
  for (const [name, n] of Object.entries(j.nodes ?? {})) {
    if (n.fused_into === undefined && n.execution !== 'keep_float') precision[name] = n.precision;
  }
  const optimize = Array.isArray(j.optimize) && j.optimize.every((p) => typeof p === 'string') ? j.optimize : undefined;
  return { target: j.target!, tensors, ranges, precision, optimize };
}
