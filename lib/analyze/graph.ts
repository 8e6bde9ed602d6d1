/**
 * The analysis graph: one engine graph that computes, for each sample, in lockstep,
 *  - the float model (its tensors renamed `fl::<name>`),
 *  - the quantized model (the emulation graph, unchanged: cumulative error),
 *  - every layer alone (`ind::<layer>::...`): the emulation of a one-layer graph fed with the float
 *    values of the layer's inputs, which quantizes them to the layer's input parameters exactly as the
 *    whole model's emulation quantizes its graph inputs (individual error),
 * and after each layer two ErrorStats probes (float vs cumulative, float vs individual) that reduce the
 * pair to a few sums inside the engine (native/engine/ops/analysis.cc). One run therefore costs about
 * three forward passes plus the probes; nothing but the probes' sums and the graph outputs leaves the
 * engine. Five things keep the extra passes lean: probes read a quantized tensor's integers directly
 * (no dequantized copy), a float tensor read by several layers with the same input parameters is
 * quantized once for all their individual copies, only the cumulative probe counts histograms
 * (the reports show float vs cumulative values; the individual histograms were never read), a layer
 * that reads graph inputs only has no individual copy (it would compute the quantized model's own
 * bits), and a data-movement layer that keeps each sample's values and their quantization (a channel
 * shuffle's Reshape/Transpose, a Flatten) shares its source's cumulative probe.
 *
 * Node order: every node gets the rank of the float layer it belongs to (probes: the later of their two
 * inputs), and the graph is ordered by rank, so a float activation stays alive only until the probes of
 * its layer have run, not until the whole quantized model has.
 */
import { NpuqError } from '../errors';
import { Graph, Node, type Attribute } from '../ir/graph';
import { inferGraphSteps } from '../ir/infer';
import { runSteps, type Steps } from '../ir/steps';
import { ERROR_STATS_HEADER, NPUQ_DOMAIN } from '../ir/ops/npuq';
import { Tensor } from '../ir/tensor';
import { buildEmulationGraphSteps, intName } from '../quantize/emulate';
import type { QuantizedModel } from '../quantize/quantized-model';
import type { TensorQuant } from '../quantize/plan/types';

/** Name of a float-model tensor in the analysis graph. */
export const floatName = (t: string): string => `fl::${t}`;

/** One compared layer: its probes' output names and what they compare. */
export interface ProbedLayer {
  /** Float graph node name. */
  name: string;
  op: string;
  /** Position in the float graph's topological order. */
  index: number;
  /** Compared tensor: the node's first output, or its fused activation's output. */
  output: string;
  execution: string;
  /** Quantized type of the output, or the float precision of the layer. */
  dtype: string;
  /** Float tensors (layer outputs) this layer reads, for the cumulative drop. */
  inputs: string[];
  cumulative: string;
  /** The individual probe's output; the cumulative one for a layer that reads graph inputs only (the same bits). */
  individual?: string;
  /** Channels (axis 1) whose max |float| the cumulative probe reports, 0 when none. */
  channels: number;
  /**
   * A data-movement layer (LAYOUT_OPS) that keeps the batch axis and its input's quantization: the
   * name of the probed layer whose values it moves. Its cumulative probe is that layer's (the same
   * values per sample, so the same sums), and it has no outlier row of its own.
   */
  moves?: string;
  /** Histogram range of both probes. */
  range?: { lo: number; hi: number };
}

export interface AnalysisGraph {
  graph: Graph;
  layers: ProbedLayer[];
  /** Graph outputs: float and quantized names in the analysis graph, by float output name. */
  outputs: { name: string; float: string; quantized: string }[];
  bins: number;
}

/** Integer types the probe reads directly. */
const PROBE_INTS = new Set(['uint8', 'int8', 'uint16', 'int16']);

const EXEC_FLOAT = new Set(['keep_float', 'float', 'float16', 'bfloat16']);

/** Ops that only move values (each output element is one input element, unchanged). */
const LAYOUT_OPS = new Set(['Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

function gridRange(q: TensorQuant): { lo: number; hi: number } {
  return { lo: (q.qmin - q.zeroPoint[0]) * q.scale[0], hi: (q.qmax - q.zeroPoint[0]) * q.scale[0] };
}

/** Builds the analysis graph of a quantized model. `bins`: histogram bins of the probes (default 32). */
export function buildAnalysisGraph(qm: QuantizedModel, options: { bins?: number } = {}): AnalysisGraph {
  return runSteps(buildAnalysisGraphSteps(qm, options));
}

/**
 * {@link buildAnalysisGraph} as steps (about one per float node), for callers that run it in time
 * slices (`runStepsSliced`, lib/ir/steps.ts; analyze() does, after `qm.emulationSliced()`); gives
 * the same graph.
 */
export function* buildAnalysisGraphSteps(qm: QuantizedModel, options: { bins?: number } = {}): Steps<AnalysisGraph> {
  const bins = options.bins ?? 32;
  const src = qm.graph;
  const { plan, profile } = qm;
  const emu = qm.emulation;
  const g = new Graph();
  g.name = `${src.name}::analysis`;
  g.opsets = new Map(emu.graph.opsets);
  g.inputs = src.inputs.map((i) => ({ ...i, shape: i.shape?.slice() }));
  for (const [k, t] of emu.graph.initializers) g.initializers.set(k, t);
  const isInput = new Set(src.inputs.map((i) => i.name));
  const isConst = (t: string) => src.initializers.has(t);
  const fl = (t: string) => (!t || isInput.has(t) || isConst(t) ? t : floatName(t));
  // Static shapes of the float tensors (for the channel count of the outlier table).
  let types: Map<string, { dtype?: string; shape?: readonly (number | string | undefined)[] }> = new Map();
  try {
    types = (yield* inferGraphSteps(src)).types as typeof types;
  } catch {
    // Shapes unknown before a run (symbolic dims that matter): no per-channel statistics.
  }

  type Ranked = { node: Node; rank: number; group: number };
  const all: Ranked[] = [];
  const rankOf = new Map<string, number>(); // tensor -> rank of its producer
  const srcIndex = new Map(src.nodes.map((n, i) => [n.name, i]));
  const nodeOf = new Map(src.nodes.map((n) => [n.name, n]));

  // 1. The float model.
  for (const [i, n] of src.nodes.entries()) {
    const c = new Node(floatName(n.name), n.opType, n.inputs.map(fl), n.outputs.map(fl), n.domain);
    for (const [k, a] of n.attrs) c.attrs.set(k, a);
    all.push({ node: c, rank: i, group: 0 });
    for (const o of c.outputs) if (o) rankOf.set(o, i);
  }
  yield;

  // 2. The quantized model (cumulative).
  for (const n of emu.graph.nodes) {
    const own = srcIndex.get(n.name);
    const rank = own ?? Math.max(0, ...n.inputs.map((t) => rankOf.get(t) ?? 0));
    all.push({ node: n, rank, group: 1 });
    for (const o of n.outputs) if (o) rankOf.set(o, rank);
  }
  yield;

  const layers: ProbedLayer[] = [];
  // Input quantizations shared between the layers' individual copies (see individual()).
  const shared = new Map<string, string[]>();
  const alias = new Map<string, string>();
  /** A probe comparing `ref` with `test`: a float tensor, or integers with their scale and zero point. */
  type TestSide = string | { int: string; scale: number; zeroPoint: number };
  const probe = (name: string, ref: string, test: TestSide, rank: number, range?: { lo: number; hi: number }, channels = 0): string => {
    const out = `stats::${name}`;
    const attrs: Record<string, Attribute> = { bins: { kind: 'int', value: bins }, channels: { kind: 'int', value: channels } };
    if (range) {
      attrs.lo = { kind: 'float', value: range.lo };
      attrs.hi = { kind: 'float', value: range.hi };
    }
    if (typeof test !== 'string') {
      attrs.scale = { kind: 'float', value: test.scale };
      attrs.zero_point = { kind: 'int', value: test.zeroPoint };
    }
    const n = new Node(`${out}::probe`, 'ErrorStats', [ref, typeof test === 'string' ? test : test.int], [out], NPUQ_DOMAIN);
    for (const [k, a] of Object.entries(attrs)) n.attrs.set(k, a);
    all.push({ node: n, rank, group: 3 });
    return out;
  };

  // Probed tensors: the layer whose cumulative probe holds their sums, and their quantized test side.
  const probedBy = new Map<string, { layer: ProbedLayer; test: TestSide }>();
  /**
   * The layer whose cumulative sums a data-movement node shares: its data input's, when every sample
   * keeps its values (the batch axis stays first with the same size, statically) and the quantized
   * values are the same integers with the same scale, zero point and histogram range. Else undefined.
   */
  const movedFrom = (node: Node, test: TestSide, range: { lo: number; hi: number } | undefined): ProbedLayer | undefined => {
    if (!LAYOUT_OPS.has(node.opType) || typeof test === 'string') return undefined;
    const from = probedBy.get(node.inputs[0]);
    if (!from || typeof from.test === 'string' || from.layer.range?.lo !== range?.lo || from.layer.range?.hi !== range?.hi) return undefined;
    const a = plan.tensors.get(node.inputs[0]), b = plan.tensors.get(node.outputs[0]);
    if (!a || !b || a.dtype !== b.dtype || from.test.scale !== test.scale || from.test.zeroPoint !== test.zeroPoint) return undefined;
    const before = types.get(node.inputs[0])?.shape, after = types.get(node.outputs[0])?.shape;
    if (!before?.length || !after?.length || before[0] === undefined || before[0] !== after[0]) return undefined;
    if (node.opType === 'Transpose') {
      const perm = node.attrs.get('perm');
      if (!perm || perm.kind !== 'ints' || Number(perm.value[0]) !== 0) return undefined;
    }
    return from.layer;
  };

  for (const [index, node] of src.nodes.entries()) {
    yield;
    const nq = plan.nodes.get(node.name);
    if (!nq || nq.fusedInto !== undefined || !node.outputs[0]) continue;
    const output = nq.activation ? nodeOf.get(nq.activation.node)!.outputs[0] : node.outputs[0];
    // Only float values are compared: a Shape or an ArgMax output (integers in both models) has no error.
    const dtype = types.get(output)?.dtype;
    if (dtype !== undefined && dtype !== 'float32') continue;
    const home = plan.tensors.get(output);
    if (home === undefined && nq.execution !== 'keep_float' && !EXEC_FLOAT.has(nq.execution)) continue;
    // The quantized value of the output: the emulation's float view, or its integers, which the probe
    // reads through the scale and zero point itself (no dequantized copy).
    let cum: TestSide = output;
    let cumRank = rankOf.get(output) ?? index;
    if (!emu.floatNames.has(output)) {
      if (!home || !emu.intNames.has(output)) continue; // not computed in the emulation (e.g. an unused output)
      if (!PROBE_INTS.has(home.dtype)) throw new NpuqError('UNSUPPORTED', `cannot compare ${output}: its quantized type ${home.dtype} is not an 8/16-bit integer`);
      cum = { int: intName(output), scale: Math.fround(home.scale[0]), zeroPoint: home.zeroPoint[0] };
      cumRank = rankOf.get(intName(output)) ?? index;
    }
    const fr = plan.ranges.get(output);
    let range: { lo: number; hi: number } | undefined;
    if (home) {
      const gr = gridRange(home);
      range = fr ? { lo: Math.min(gr.lo, fr.min), hi: Math.max(gr.hi, fr.max) } : gr;
    } else if (fr && fr.max > fr.min) {
      range = { lo: fr.min, hi: fr.max };
    }
    const shape = types.get(output)?.shape;
    const source = output === node.outputs[0] ? movedFrom(node, cum, range) : undefined;
    const channels = !source && shape && shape.length >= 2 && typeof shape[1] === 'number' && shape[1] > 1 ? shape[1] : 0;
    const layer: ProbedLayer = {
      name: node.name, op: node.opType, index, output, execution: nq.execution, dtype: nq.precision,
      inputs: node.inputs.filter((t) => t && !isConst(t)),
      cumulative: source ? source.cumulative : probe(`cum::${output}`, fl(output), cum, Math.max(index, cumRank), range, channels),
      channels, range, ...(source ? { moves: source.name } : {}),
    };
    probedBy.set(output, { layer: source ?? layer, test: cum });
    // A layer that reads graph inputs only gets in its individual copy exactly the quantized inputs the
    // quantized model gives it (both quantize a graph input with its own parameters), so its individual
    // error is its cumulative error, bit for bit: the cumulative probe serves both (the stem
    // convolution, often the largest map of the model, is not computed a third time).
    if (nq.execution !== 'keep_float') {
      layer.individual = layer.inputs.every((t) => isInput.has(t)) ? layer.cumulative : yield* individual(node, nq.activation?.node, output, index);
    }
    layers.push(layer);
  }

  /** The layer alone, fed with quantized float inputs; returns its probe's output name. */
  function* individual(node: Node, activation: string | undefined, output: string, rank: number): Steps<string> {
    const mini = new Graph();
    mini.opsets = new Map(src.opsets);
    const nodes = [node, ...(activation ? [nodeOf.get(activation)!] : [])];
    const internal = new Set(nodes.flatMap((n) => n.outputs));
    for (const n of nodes) {
      for (const t of n.inputs) {
        if (!t || internal.has(t) || mini.inputs.some((i) => i.name === t)) continue;
        if (isConst(t)) mini.initializers.set(t, src.initializers.get(t)!);
        else mini.inputs.push({ name: t, dtype: 'float32', shape: undefined });
      }
    }
    mini.nodes = nodes;
    mini.outputs = [{ name: output, dtype: 'float32', shape: undefined }];
    let e;
    try {
      e = yield* buildEmulationGraphSteps(mini, plan, profile);
    } catch (err) {
      throw new NpuqError('UNSUPPORTED', `cannot build the individual (float-input) emulation of ${node.describe()}: ${(err as Error).message}`, { cause: err });
    }
    const prefix = `ind::${node.name}::`;
    const miniInputs = new Set(mini.inputs.map((i) => i.name));
    const rename = (t: string) => (!t ? t : miniInputs.has(t) ? fl(t) : isConst(t) ? t : `${prefix}${t}`);
    // The mini graph ends in a DequantizeLinear of the layer's integers: the probe reads those instead.
    const last = e.graph.nodes.find((n) => n.outputs[0] === output);
    const lastScale = last && e.graph.initializers.get(last.inputs[1]);
    const lastZp = last && e.graph.initializers.get(last.inputs[2]);
    const direct = last?.opType === 'DequantizeLinear' && lastScale?.size === 1 && lastZp?.size === 1 && PROBE_INTS.has(lastZp.dtype) ? last : undefined;
    for (const [k, t] of e.graph.initializers) if (!isConst(k)) g.initializers.set(rename(k), t);
    // Nodes computed from float inputs and constants alone (the quantization of the layer's inputs)
    // are shared between layers: a tensor read by several layers with the same input parameters is
    // quantized once (`shared`: structural key -> outputs; `alias`: a skipped node's output -> the kept one).
    const pure = new Set<string>();
    const operand = (t: string): string | undefined => {
      if (!t) return '';
      if (miniInputs.has(t)) return fl(t);
      if (isConst(t)) return t;
      if (pure.has(t)) return alias.get(rename(t)) ?? rename(t);
      const init = e.graph.initializers.get(t);
      return init && init.size <= 16 ? `${init.dtype}[${init.shape.join(',')}]:${Array.from(init.data as ArrayLike<number | bigint>).join(',')}` : undefined;
    };
    for (const n of e.graph.nodes) {
      if (n === direct) continue;
      const operands = n.inputs.map(operand);
      if (operands.every((o) => o !== undefined)) {
        const attrs = [...n.attrs].map(([k, a]) => `${k}=${JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`).sort().join(';');
        const key = `${n.domain}|${n.opType}|${attrs}|${operands.join('|')}`;
        for (const o of n.outputs) pure.add(o);
        const kept = shared.get(key);
        if (kept) {
          n.outputs.forEach((o, i) => alias.set(rename(o), kept[i]));
          continue;
        }
        shared.set(key, n.outputs.map(rename));
      }
      const c = new Node(`${prefix}${n.name}`, n.opType, n.inputs.map((t) => alias.get(rename(t)) ?? rename(t)), n.outputs.map(rename), n.domain);
      for (const [k, a] of n.attrs) c.attrs.set(k, a);
      all.push({ node: c, rank, group: 2 });
    }
    const test: TestSide = direct
      ? { int: alias.get(rename(direct.inputs[0])) ?? rename(direct.inputs[0]), scale: Number(lastScale!.data[0]), zeroPoint: Number(lastZp!.data[0]) }
      : alias.get(rename(output)) ?? rename(output);
    // No range: the reports read value histograms from the cumulative probe only, and the histograms
    // are most of a probe's cost (store-bound counting), so the individual probe skips them.
    return probe(`ind::${output}`, fl(output), test, rank);
  }

  const outputs = src.outputs.map((o) => ({ name: o.name, float: fl(o.name), quantized: o.name }));
  yield;
  all.sort((a, b) => a.rank - b.rank || a.group - b.group);
  g.nodes = all.map((r) => r.node);
  yield;
  g.sortTopologically();
  g.outputs = [
    ...probeOutputs(layers).map((name) => ({ name, dtype: 'float64' as const, shape: undefined })),
    ...outputs.flatMap((o) => [{ name: o.float, dtype: 'float32' as const, shape: undefined }, { name: o.quantized, dtype: 'float32' as const, shape: undefined }]),
  ];
  return { graph: g, layers, outputs, bins };
}

/** The probe outputs of the layers, each once (a layer's two probes may be one, see `individual`). */
export function probeOutputs(layers: readonly ProbedLayer[]): string[] {
  return [...new Set(layers.flatMap((l) => [l.cumulative, ...(l.individual ? [l.individual] : [])]))];
}

/** Entries of one probe output: header, two histograms, channels. */
export function probeLength(bins: number, channels: number): number {
  return ERROR_STATS_HEADER + 2 * bins + channels;
}
