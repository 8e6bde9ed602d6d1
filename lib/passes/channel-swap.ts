/**
 * Channel-swap folding: a reordering of the channels of a tensor (RGB ↔ BGR and the like) before a
 * Conv becomes a permutation of the Conv's weight input channels, so the Conv reads the tensor as it
 * is. Recognized reorderings, all over axis 1 of the same source tensor:
 * - Gather(x, indices, axis=1) with constant 1-D indices;
 * - Concat(axis=1) of pieces of x, each a Split(x, axis=1) output, a Slice of x over axis 1 only
 *   (constant bounds, any step), or a Gather as above.
 * The channel list must be a permutation of x's C channels, and every reader of the reordered value
 * a Conv with group 1 and constant weights, reading it as its data input. For reader Conv with
 * weights W, W'[m, idx[j]] = W[m, j]. Exact (weights are only moved).
 */
import type { Graph, Node } from '../ir/graph';
import { Tensor } from '../ir/tensor';
import type { ValueType } from '../ir/ops/types';
import { sliceRange } from '../ir/ops/slice';
import { result, type Pass, type PassContext, type PassResult } from './pass';
import { NameGen, constF32, outputSet, removeDead, tryInfer } from './util';

/** Source value and the channels of it that value `v` holds, in order. */
interface Channels {
  src: string;
  idx: number[];
}

function constInts(graph: Graph, name: string | undefined): number[] | undefined {
  const t = name ? graph.initializers.get(name) : undefined;
  if (!t || (t.dtype !== 'int64' && t.dtype !== 'int32')) return undefined;
  return t.toNumbers();
}

/** Axis attribute normalized against `rank`; undefined when out of range. */
function axisOf(n: Node, def: number, rank: number): number | undefined {
  const a = n.attrInt('axis', def);
  const r = a < 0 ? a + rank : a;
  return r >= 0 && r < rank ? r : undefined;
}

/** Offsets and sizes of the outputs of a Split over axis 1, from the inferred output types. */
function splitPiece(n: Node, out: string, types: Map<string, ValueType>): [number, number] | undefined {
  let off = 0;
  for (const o of n.outputs) {
    const c = types.get(o)?.shape?.[1];
    if (typeof c !== 'number') return undefined;
    if (o === out) return [off, c];
    off += c;
  }
  return undefined;
}

function sliceChannels(graph: Graph, n: Node, C: number, rank: number): number[] | undefined {
  let starts: number[] | undefined, ends: number[] | undefined, axes: number[] | undefined, steps: number[] | undefined;
  if (graph.opset < 10) {
    starts = n.attrInts('starts');
    ends = n.attrInts('ends');
    axes = n.has('axes') ? n.attrInts('axes') : undefined;
  } else {
    starts = constInts(graph, n.inputs[1]);
    ends = constInts(graph, n.inputs[2]);
    axes = n.inputs[3] ? constInts(graph, n.inputs[3]) : undefined;
    steps = n.inputs[4] ? constInts(graph, n.inputs[4]) : undefined;
    if ((n.inputs[3] && !axes) || (n.inputs[4] && !steps)) return undefined;
  }
  if (!starts || !ends || starts.length !== 1) return undefined;
  const axis = axes ? (axes[0] < 0 ? axes[0] + rank : axes[0]) : 0;
  const step = steps ? steps[0] : 1;
  if (axis !== 1 || step === 0) return undefined;
  const [s, len] = sliceRange(C, starts[0], ends[0], step);
  return Array.from({ length: len }, (_, i) => s + i * step);
}

/** The channels of `x` that value `v` holds, when `v` is a reordering recognized by this pass. */
function channelsOf(graph: Graph, v: string, producers: Map<string, Node>, types: Map<string, ValueType>, top: boolean): Channels | undefined {
  const n = producers.get(v);
  if (!n || n.domain !== '') return undefined;
  const src = n.inputs[0];
  const xs = types.get(src)?.shape;
  const rank = xs?.length ?? 0;
  const C = xs?.[1];
  if (n.opType === 'Concat' && top) {
    const t = types.get(v)?.shape;
    if (!t || axisOf(n, 0, t.length) !== 1) return undefined;
    const parts = n.inputs.map((i) => channelsOf(graph, i, producers, types, false));
    if (parts.some((p) => !p || p.src !== parts[0]!.src)) return undefined;
    return { src: parts[0]!.src, idx: parts.flatMap((p) => p!.idx) };
  }
  if (typeof C !== 'number' || rank < 3) return undefined;
  if (n.opType === 'Gather') {
    const idx = constInts(graph, n.inputs[1]);
    const shape = graph.initializers.get(n.inputs[1])?.shape;
    if (!idx || shape?.length !== 1 || axisOf(n, 0, rank) !== 1 || idx.some((i) => i < -C || i >= C)) return undefined;
    return { src, idx: idx.map((i) => (i < 0 ? i + C : i)) };
  }
  if (top) return undefined;
  if (n.opType === 'Split') {
    if (axisOf(n, 0, rank) !== 1) return undefined;
    const piece = splitPiece(n, v, types);
    return piece && { src, idx: Array.from({ length: piece[1] }, (_, i) => piece[0] + i) };
  }
  if (n.opType === 'Slice') {
    const idx = sliceChannels(graph, n, C, rank);
    return idx && { src, idx };
  }
  return undefined;
}

/** Folds every recognized channel reordering before group-1 Convs into their weights. */
export function foldChannelSwap(graph: Graph, ctx: PassContext = {}): PassResult {
  const changes: string[] = [];
  const { types, note } = tryInfer(graph, ctx);
  if (!types) return result([], [note]);
  const producers = graph.producers();
  const consumers = graph.consumers();
  const outputs = outputSet(graph);
  const names = new NameGen(graph);
  for (const n of graph.nodes.slice()) {
    if ((n.opType !== 'Gather' && n.opType !== 'Concat') || outputs.has(n.outputs[0])) continue;
    const y = n.outputs[0];
    const ch = channelsOf(graph, y, producers, types, true);
    const C = types.get(ch?.src ?? '')?.shape?.[1];
    if (!ch || typeof C !== 'number' || ch.idx.length !== C || new Set(ch.idx).size !== C) continue;
    const readers = consumers.get(y) ?? [];
    const ok = readers.length > 0 && readers.every((r) => r.opType === 'Conv' && r.domain === '' && r.inputs[0] === y
      && !r.inputs.slice(1).includes(y) && r.attrInt('group', 1) === 1 && constF32(graph, r.inputs[1])?.shape[1] === C);
    if (!ok) continue;
    for (const conv of readers) {
      const w = constF32(graph, conv.inputs[1])!;
      const M = w.shape[0];
      const ks = w.size / (M * C);
      const wd = w.data as Float32Array;
      const nw = new Float32Array(wd.length);
      for (let m = 0; m < M; m++) {
        for (let j = 0; j < C; j++) {
          const from = (m * C + j) * ks, to = (m * C + ch.idx[j]) * ks;
          for (let k = 0; k < ks; k++) nw[to + k] = wd[from + k];
        }
      }
      const wName = names.next(`${conv.inputs[1]}__channels`);
      graph.initializers.set(wName, new Tensor('float32', w.shape, nw));
      conv.inputs[0] = ch.src;
      conv.inputs[1] = wName;
      changes.push(`folded the channel order [${ch.idx.join(',')}] of ${n.describe()} into ${conv.describe()}`);
    }
  }
  if (changes.length) removeDead(graph);
  return result(changes);
}

export const FOLD_CHANNEL_SWAP: Pass = {
  name: 'fold-channel-swap',
  description: 'fold a channel reordering (Gather, or Split/Slice + Concat over axis 1) before Convs into their weights',
  run: foldChannelSwap,
};
