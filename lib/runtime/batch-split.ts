/**
 * Running one large batch as chunks in parallel. A model that treats the items of a batch
 * independently gives, for a batch of `rows` items, the same outputs as runs over consecutive chunks
 * of those rows laid end to end. Session.run uses that when it has several threads: the chunks run
 * side by side, each on one thread, instead of every op splitting its own work between the threads
 * and meeting at a barrier after each op (which costs more than it gives on small maps). The engine's
 * sums do not depend on how a run is cut into tasks, so the outputs are the same bytes either way.
 *
 * Whether a model treats items independently is decided here, per input shape, from the graph: the
 * shapes are inferred at the full batch and at the chunk batch, and every op that computes at run
 * time must keep the batch as the first dimension of its run-time values and must not mix items
 * (softmax over axis 0, a transpose moving the batch, a batch-sized constant in arithmetic, ...).
 * Anything not known to be safe keeps the whole batch in one run.
 */
import type { Graph, Node } from '../ir/graph';
import { inferGraphSteps, type InferResult } from '../ir/infer';
import type { Steps } from '../ir/steps';
import type { Tensor } from '../ir/tensor';
import { SHAPE_SLOTS } from './support';
import { LOWER, VARIADIC, isReduceOp, normAxis, reduceAxes } from './lower-ops';

/** How a batch is cut: `rows` items in chunks of `chunk` rows (the last padded). */
export interface RowSplit {
  rows: number;
  chunk: number;
}

/** The decision for one set of input shapes: a split, or the reason there is none. */
export interface RowSplitDecision {
  split?: RowSplit;
  reason?: string;
}

/**
 * Rows per chunk for `rows` items over `threads` threads, or undefined when a split is not worth it:
 * one chunk per thread, and at most one row in eight spent on padding the last chunk (a batch of 5
 * on 2 threads would compute 6 rows, cheaper to run as one).
 */
export function chunkRows(rows: number, threads: number): number | undefined {
  if (!(threads >= 2) || !(rows >= 2)) return undefined;
  const chunk = Math.ceil(rows / threads);
  const padding = Math.ceil(rows / chunk) * chunk - rows;
  return padding * 8 <= rows ? chunk : undefined;
}

/** Ops that compute over the whole batch by design. */
const WHOLE_BATCH: Readonly<Record<string, string>> = {
  ErrorStats: 'accumulates statistics over the whole batch',
  DynamicQuantizeLinear: 'takes its scale from the whole tensor',
};

/** Ops whose only run-time (per-item) input is the one listed; the others are weights. */
const DATA_INPUT_ONLY: Readonly<Record<string, number>> = {
  Conv: 0, ConvTranspose: 0, QConv: 0, QLinearConv: 0, ConvInteger: 0, QGemm: 0,
};

/** Ops whose run-time inputs and outputs may differ in rank (rules of their own below). */
const RANK_FREE = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Gather', 'MatMul', 'MatMulInteger', 'QLinearMatMul', 'Gemm']);


/** The `axis` attribute's default per op (undefined: required), for ops that work along one axis. */
function axisDefault(op: string, opset: number): number | undefined | null {
  switch (op) {
    case 'Concat': return undefined;
    case 'Split': case 'Gather': return 0;
    case 'Softmax': case 'LogSoftmax': return opset < 13 ? 1 : -1;
    case 'LayerNormalization': case 'QSoftmax': return -1;
    case 'QuantizeLinear': case 'DequantizeLinear': case 'Flatten': return 1;
    default: return null;  // no axis
  }
}

/**
 * The split these input shapes would get on `threads` threads if the graph allows it (see
 * rowSplitSteps): every input has the same first dimension (the batch), worth cutting (chunkRows).
 */
export function candidateSplit(inputShapes: Map<string, readonly number[]>, threads: number): RowSplitDecision {
  let rows: number | undefined;
  for (const [name, shape] of inputShapes) {
    if (shape.length === 0) return { reason: `input "${name}" is a scalar` };
    if (rows === undefined) rows = shape[0];
    else if (shape[0] !== rows) return { reason: `the inputs do not share their first dimension ("${name}" has ${shape[0]}, not ${rows})` };
  }
  if (rows === undefined) return { reason: 'the model has no inputs' };
  const chunk = chunkRows(rows, threads);
  if (chunk === undefined) return { reason: `a batch of ${rows} on ${threads} thread(s) is not worth splitting` };
  return { split: { rows, chunk } };
}

/**
 * Decides whether the graph may run a batch of these input shapes in chunks on `threads` threads
 * (candidateSplit, then the graph check); the requested outputs must be run-time values with the
 * batch first. As steps (two shape inferences), for time-sliced callers.
 */
export function* rowSplitSteps(graph: Graph, inputShapes: Map<string, number[]>, outputs: string[], threads: number): Steps<RowSplitDecision> {
  const candidate = candidateSplit(inputShapes, threads);
  return candidate.split ? yield* checkSplitSteps(graph, inputShapes, candidate.split, outputs) : candidate;
}

/** The graph check of rowSplitSteps for a candidate split (candidateSplit) of these input shapes. */
export function* checkSplitSteps(graph: Graph, inputShapes: Map<string, number[]>, split: RowSplit, outputs: string[]): Steps<RowSplitDecision> {
  const { rows, chunk } = split;
  const chunkShapes = new Map([...inputShapes].map(([k, s]) => [k, [chunk, ...s.slice(1)]]));
  let full: InferResult, part: InferResult;
  try {
    full = yield* inferGraphSteps(graph, { inputShapes });
    part = yield* inferGraphSteps(graph, { inputShapes: chunkShapes });
  } catch (e) {
    return { reason: `shapes could not be inferred at ${chunk} rows: ${(e as Error).message}` };
  }
  const reason = checkRows(graph, full, rows, part, chunk, outputs);
  return reason ? { reason } : { split: { rows, chunk } };
}

/** Why the graph mixes items (or may), or undefined when it treats them independently. */
function checkRows(graph: Graph, full: InferResult, rows: number, part: InferResult, chunk: number, outputs: string[]): string | undefined {
  const isConst = (name: string) => full.constants.has(name) && part.constants.has(name);
  // A run-time value is "per row" when its first dimension is the batch at both batch sizes.
  const perRow = (name: string): boolean => {
    const a = full.types.get(name)?.shape, b = part.types.get(name)?.shape;
    return !!a && !!b && a.length >= 1 && a.length === b.length && a[0] === rows && b[0] === chunk;
  };
  const rank = (name: string) => full.types.get(name)?.shape?.length ?? -1;
  for (const o of outputs) {
    if (isConst(o)) return `output "${o}" is a constant`;
    if (!perRow(o)) return `output "${o}" does not have the batch as its first dimension`;
  }
  for (const node of graph.nodes) {
    const outs = node.outputs.filter((o) => o);
    if (outs.every(isConst)) continue;  // folded at compile time
    if (outs.some((o) => full.constants.has(o) !== part.constants.has(o))) return `${node.describe()} is folded at one batch size only`;
    const op = node.opType;
    if (WHOLE_BATCH[op]) return `${node.describe()} ${WHOLE_BATCH[op]}`;
    if (!(op in LOWER) && !(op in VARIADIC)) return `${node.describe()}: ${op} is not known to treat items independently`;
    const shapeSlots = SHAPE_SLOTS[op] ?? [];
    const batched: boolean[] = [];
    for (let i = 0; i < node.inputs.length; i++) {
      const name = node.inputs[i];
      batched.push(false);
      if (!name) continue;
      if (isConst(name)) {
        if (!shapeSlots.includes(i) && !sameTensor(full.constants.get(name)!, part.constants.get(name)!)) {
          return `${node.describe()} computes with "${name}", a constant that depends on the batch size`;
        }
        continue;
      }
      if (!perRow(name)) return `${node.describe()}: its input "${name}" does not have the batch as its first dimension`;
      batched[i] = true;
    }
    for (const o of outs) {
      if (!perRow(o)) return `${node.describe()}: its output "${o}" does not have the batch as its first dimension`;
    }
    const why = opRule(node, batched, rank, (i) => (node.inputs[i] ? full.constants.get(node.inputs[i]) : undefined), graph.opset);
    if (why) return `${node.describe()} ${why}`;
  }
  return undefined;
}

/** Op-specific ways of mixing items, for a node whose `batched` inputs are per-row run-time values. */
function opRule(node: Node, batched: boolean[], rank: (name: string) => number, constant: (i: number) => Tensor | undefined, opset: number): string | undefined {
  const op = node.opType;
  const outRank = rank(node.outputs[0]);
  const only = DATA_INPUT_ONLY[op];
  if (only !== undefined && batched.some((b, i) => b && i !== only)) return 'takes a weight computed from the batch';
  if (!RANK_FREE.has(op)) {
    // Broadcasting ops align trailing axes: a per-row input of lower rank would meet other items.
    for (let i = 0; i < batched.length; i++) {
      if (batched[i] && rank(node.inputs[i]) !== outRank) return `broadcasts "${node.inputs[i]}" against the batch axis`;
    }
  }
  const ints = (i: number): number[] | undefined => constant(i)?.toNumbers();
  const inRank = rank(node.inputs[0]);
  const def = axisDefault(op, opset);
  if (def !== null) {
    const a = node.has('axis') ? node.attrInt('axis') : def;
    if (a === undefined) return 'has no axis';
    const perAxisScale = (op === 'QuantizeLinear' || op === 'DequantizeLinear') ? (constant(1)?.size ?? 2) > 1 : true;
    if (normAxis(a, op === 'Concat' ? outRank : inRank) === 0 && perAxisScale && !(op === 'Gather' && !batched[0])) return 'works along the batch axis';
  }
  switch (op) {
    case 'Gemm':
      if (batched[1]) return 'takes its B matrix from the batch';
      if (batched[0] && node.attrInt('transA', 0)) return 'contracts over the batch axis (transA)';
      if (batched[2] && rank(node.inputs[2]) !== 2) return 'broadcasts C against the batch axis';
      break;
    case 'QGemm':
      if (node.has('transA') && node.attrInt('transA')) return 'contracts over the batch axis (transA)';
      break;
    case 'MatMul': case 'MatMulInteger': case 'QLinearMatMul': {
      const a = 0, b = op === 'QLinearMatMul' ? 3 : 1;
      if (batched.some((x, i) => x && i !== a && i !== b)) return 'takes quantization parameters from the batch';
      if (batched[a] && (rank(node.inputs[a]) < 2 || rank(node.inputs[a]) !== outRank)) return 'contracts over the batch axis';
      if (batched[b] && (rank(node.inputs[b]) < 3 || rank(node.inputs[b]) !== outRank)) return 'contracts over the batch axis';
      break;
    }
    case 'Gather':
      if (batched[0] && batched[1]) return 'gathers items with indices from the batch';
      break;
    case 'Transpose': {
      const perm = node.has('perm') ? node.attrInts('perm') : Array.from({ length: inRank }, (_, i) => inRank - 1 - i);
      if (perm[0] !== 0) return 'moves the batch axis';
      break;
    }
    case 'Slice': {
      const axes = opset < 10 ? (node.has('axes') ? node.attrInts('axes') : undefined) : ints(3);
      const steps = opset < 10 ? undefined : ints(4);
      const all = axes ?? Array.from({ length: inRank }, (_, i) => i);
      const k = all.findIndex((x) => normAxis(x, inRank) === 0);
      if (k >= 0 && (steps?.[k] ?? 1) !== 1) return 'steps along the batch axis';
      break;
    }
    case 'Pad': {
      const pads = opset < 11 ? node.attrInts(node.has('pads') ? 'pads' : 'paddings', []) : ints(1);
      if (!pads) return 'has pads computed at run time';
      const axes = opset >= 18 ? ints(3) : undefined;
      const all = axes ?? Array.from({ length: inRank }, (_, i) => i);
      const k = all.findIndex((x) => normAxis(x, inRank) === 0);
      if (k >= 0 && (pads[k] !== 0 || pads[k + all.length] !== 0)) return 'pads the batch axis';
      break;
    }
    case 'Resize': {
      if (node.has('coordinate_transformation_mode') && node.attrString('coordinate_transformation_mode') === 'tf_crop_and_resize') {
        const roi = constant(1)?.toNumbers();
        if (!roi || roi[0] !== 0 || roi[inRank] !== 1) return 'crops the batch axis';
      }
      break;
    }
    default:
      if (isReduceOp(op) && reduceAxes(node, inRank, () => ints(1))?.includes(0)) return 'reduces over the batch axis';
  }
  return undefined;
}

function sameTensor(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = a.data, y = b.data;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
