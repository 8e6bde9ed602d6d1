/**
 * Builds a QuantPlan: executions (executions.ts), then the home quantization of every activation
 * tensor from its calibrated range (or from given parameters when a plan is replayed), then the
 * integer parameters of every node (node-params.ts).
 *
 * Tensor rules: a float tensor is quantized when a non-float node produces or consumes it. Its home
 * parameters are those of its producer's precision (graph inputs and outputs of float layers: the
 * precision of the first quantized consumer). Ops that only move values (Reshape, Transpose,
 * MaxPool, Split, ...) give their outputs the input's parameters, so they run on integers unchanged;
 * Concat, arithmetic, pooling averages and lookup tables get their own.
 */
import { NpuqError } from '../../errors';
import type { Graph } from '../../ir/graph';
import { inferGraphSteps } from '../../ir/infer';
import { runSteps, type Steps } from '../../ir/steps';
import type { Tensor } from '../../ir/tensor';
import type { FloatRange, QuantDType } from '../params';
import { activationQuant } from './tensor-quant';
import type { ChipProfile, Precision } from '../profile';
import { SHARED_PARAMS_OPS, decideExecutions, isFloatPrecision, type Execution } from './executions';
import { planNodeParams } from './node-params';
import type { NodeQuant, QuantOverrides, QuantPlan, TensorQuant } from './types';

export interface PlanOptions {
  /** Weights per channel (true) or per tensor (false). Default: the profile's `weights.granularity`. */
  perChannel?: boolean;
  /** Per-layer precisions and fixed ranges. */
  overrides?: QuantOverrides;
  /** Home parameters of tensors, replacing ranges (replaying a saved plan). */
  fixedTensors?: Map<string, TensorQuant>;
  /**
   * Bits of the integer range of weights (low-bit weights in their 8- or 16-bit containers; replaces
   * the profile's reduceRange). The int16 weights that wide (16-bit) layers of an 8-bit profile get
   * keep their 16 bits. Default: the profile's.
   */
  weightBits?: number;
}

/** The profile with the user's weight granularity applied to its base weight spec. */
export function withGranularity(profile: ChipProfile, perChannel: boolean | undefined): ChipProfile {
  if (perChannel === undefined) return profile;
  return { ...profile, weights: { ...profile.weights, granularity: perChannel ? 'per_channel' : 'per_tensor' } };
}

/**
 * Plans the quantization of `graph` (already optimized: BatchNormalization folded) for `profile`.
 * @param ranges Calibrated float range of every activation tensor that is quantized.
 */
export function planQuantization(graph: Graph, profileIn: ChipProfile, ranges: Map<string, FloatRange>, options: PlanOptions = {}): QuantPlan {
  return runSteps(planQuantizationSteps(graph, profileIn, ranges, options));
}

/**
 * {@link planQuantization} as steps (one per node), for callers that run it in time slices
 * (`runStepsSliced`, lib/ir/steps.ts); gives the same plan.
 */
export function* planQuantizationSteps(graph: Graph, profileIn: ChipProfile, ranges: Map<string, FloatRange>, options: PlanOptions = {}): Steps<QuantPlan> {
  const profile = withGranularity(profileIn, options.perChannel);
  const { types, constants } = yield* inferGraphSteps(graph);
  const constant = (name: string): Tensor | undefined => graph.initializers.get(name) ?? constants.get(name);
  const isActivation = (name: string): boolean => !!name && !constant(name) && types.get(name)?.dtype === 'float32';
  const execs = decideExecutions(graph, profile, isActivation, options.overrides?.precision ?? {});
  const allRanges = new Map(ranges);
  for (const [k, r] of Object.entries(options.overrides?.ranges ?? {})) allRanges.set(k, r);

  const tensors = new Map<string, TensorQuant>();
  const consumers = graph.consumers();
  const quantizedNode = (e: Execution | undefined) => e !== undefined && e.execution !== 'keep_float';
  const integerPrecision = (e: Execution): QuantDType | undefined => (isFloatPrecision(e.precision) ? undefined : e.precision as QuantDType);

  const home = (name: string, dtype: QuantDType, who: string): TensorQuant => {
    const known = tensors.get(name);
    if (known) return known;
    const fixed = options.fixedTensors?.get(name);
    let q: TensorQuant;
    if (fixed) q = fixed;
    else {
      const r = allRanges.get(name);
      if (!r) throw new NpuqError('INVALID_ARGUMENT', `no calibration range for tensor "${name}" (${who}); calibrate with data that reaches it or pass overrides.ranges["${name}"]`);
      q = activationQuant(profile, r, dtype);
    }
    tensors.set(name, q);
    return q;
  };

  // Graph inputs consumed by quantized nodes take the precision of their first quantized consumer.
  const firstIntegerConsumer = (name: string): QuantDType | undefined => {
    for (const c of consumers.get(name) ?? []) {
      const e = execs.get(c.name);
      if (quantizedNode(e)) {
        const p = integerPrecision(e!);
        if (p) return p;
      }
    }
    return undefined;
  };

  for (const node of graph.nodes) {
    const e = execs.get(node.name)!;
    if (!quantizedNode(e)) continue;
    const p = integerPrecision(e);
    // Inputs: give unquantized producers' outputs (graph inputs, float layers) a home.
    for (const i of e.fusedInto !== undefined ? [] : node.inputs) {
      if (!isActivation(i) || tensors.has(i)) continue;
      const dtype = p ?? firstIntegerConsumer(i);
      if (dtype) home(i, dtype, `input of ${node.describe()}`);
    }
    if (!p) continue;
    if (e.activation) continue;  // its output is written by the fused activation's parameters
    for (const o of node.outputs) {
      if (!isActivation(o)) continue;
      if (e.fusedInto !== undefined) {
        home(o, p, `output of ${node.describe()}`);
        continue;
      }
      const sharedFrom = SHARED_PARAMS_OPS.has(node.opType) && e.execution === 'integer' ? node.inputs[0] : undefined;
      if (sharedFrom && tensors.has(sharedFrom) && tensors.get(sharedFrom)!.dtype === p) {
        tensors.set(o, tensors.get(sharedFrom)!);
        continue;
      }
      home(o, p, `output of ${node.describe()}`);
    }
  }
  // Outputs of float-precision layers consumed by integer layers.
  for (const node of graph.nodes) {
    if (execs.get(node.name)!.activation) continue;  // written with its fused activation's parameters
    for (const o of node.outputs) {
      if (!isActivation(o) || tensors.has(o)) continue;
      const dtype = firstIntegerConsumer(o);
      if (dtype) home(o, dtype, `output of ${node.describe()}`);
    }
  }

  const nodes = new Map<string, NodeQuant>();
  for (const node of graph.nodes) {
    const e = execs.get(node.name)!;
    nodes.set(node.name, planNodeParams({ graph, node, exec: e, profile, tensors, constant, isActivation, execs, weightBits: options.weightBits }));
    yield;
  }
  return { target: profileIn.name, tensors, ranges: allRanges, nodes };
}

/** The precision a consumer wants its quantized input in (its own integer precision). */
export function inputPrecision(e: { precision: Precision }): QuantDType | undefined {
  return isFloatPrecision(e.precision) ? undefined : (e.precision as QuantDType);
}
