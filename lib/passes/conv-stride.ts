/**
 * Conv with a non-uniform stride (strides that differ between spatial axes, e.g. [2,1] in PaddleOCR's
 * text recognizers, which some NPUs do not support) rewritten as the same Conv with stride 1 followed
 * by a strided Slice: output position o of a stride-s Conv is position o*s of the stride-1 Conv with
 * the same (explicit) pads, and the counts agree (floor((L-1)/s) + 1 for L stride-1 positions), so
 * the rewrite is exact. It costs s times the Conv's arithmetic, which is why it is not in the default
 * pipeline.
 *
 * - SAME_UPPER / SAME_LOWER padding depends on the stride: it is made explicit from the input's
 *   spatial size, which must then be known (declared or PassContext.inputShapes).
 * - Slice has steps from opset 10. Below that, each strided axis is subsampled with a Gather of
 *   constant indices, which needs the axis length known; otherwise the Conv is left alone (noted).
 */
import type { Graph, Node } from '../ir/graph';
import { Node as GraphNode } from '../ir/graph';
import { Tensor } from '../ir/tensor';
import { int64Tensor } from '../ir/ops/util';
import { readWindow, samePads } from '../ir/ops/window';
import { result, type Pass, type PassContext, type PassResult } from './pass';
import { NameGen, tryInfer } from './util';

const INT64_MAX = 9223372036854775807n;

/** Rewrites every Conv whose strides are not all equal into stride 1 + Slice (or Gather below opset 10). */
export function convStrideToSlice(graph: Graph, ctx: PassContext = {}): PassResult {
  const changes: string[] = [];
  const notes: string[] = [];
  const { types, note } = tryInfer(graph, ctx);
  if (!types) return result([], [note]);
  const names = new NameGen(graph);
  const nodes: Node[] = [];
  for (const conv of graph.nodes) {
    nodes.push(conv);
    if (conv.opType !== 'Conv' || conv.domain !== '' || !conv.has('strides')) continue;
    const strides = conv.attrInts('strides');
    if (new Set(strides).size <= 1) continue;
    const xs = types.get(conv.inputs[0])?.shape;
    const ws = types.get(conv.inputs[1])?.shape;
    if (!xs || !ws || ws.slice(2).some((d) => typeof d !== 'number')) continue;
    const spatial = strides.length;
    const win = readWindow(conv, spatial, ws.slice(2) as number[]);
    let pads = win.pads.slice();
    if (win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER') {
      if (xs.slice(2).some((d) => typeof d !== 'number')) {
        notes.push(`left ${conv.describe()}: auto_pad ${win.autoPad} needs the input's spatial size (give input shapes)`);
        continue;
      }
      pads = new Array<number>(2 * spatial).fill(0);
      for (let i = 0; i < spatial; i++) [pads[i], pads[i + spatial]] = samePads(win, i, xs[2 + i] as number);
    }
    const axes = strides.map((s, i) => (s > 1 ? 2 + i : -1)).filter((a) => a >= 0);
    // Length of each strided axis at stride 1 (needed for the Gather form only).
    const lengths = axes.map((a) => {
      const i = a - 2, d = xs[a];
      return typeof d === 'number' ? d + pads[i] + pads[i + spatial] - ((win.kernel[i] - 1) * win.dilations[i] + 1) + 1 : undefined;
    });
    if (graph.opset < 10 && lengths.some((l) => l === undefined)) {
      notes.push(`left ${conv.describe()}: opset ${graph.opset} Slice has no steps and the Gather fallback needs the length of the strided axes (give input shapes)`);
      continue;
    }
    const out = conv.outputs[0];
    const full = names.next(`${out}__stride1`);
    conv.attrs.set('strides', { kind: 'ints', value: strides.map(() => 1) });
    conv.attrs.delete('auto_pad');
    conv.attrs.set('pads', { kind: 'ints', value: pads });
    conv.outputs[0] = full;
    if (graph.opset >= 10) {
      const params = [
        ['starts', int64Tensor([axes.length], axes.map(() => 0))],
        ['ends', new Tensor('int64', [axes.length], new BigInt64Array(axes.length).fill(INT64_MAX))],
        ['axes', int64Tensor([axes.length], axes)],
        ['steps', int64Tensor([axes.length], axes.map((a) => strides[a - 2]))],
      ] as const;
      const inputs = params.map(([k, t]) => {
        const name = names.next(`${out}__slice_${k}`);
        graph.initializers.set(name, t);
        return name;
      });
      nodes.push(new GraphNode(names.next(`${conv.name}__stride_slice`), 'Slice', [full, ...inputs], [out]));
    } else {
      let cur = full;
      axes.forEach((a, k) => {
        const s = strides[a - 2];
        const count = Math.floor((lengths[k]! - 1) / s) + 1;
        const idx = names.next(`${out}__stride_indices_${a}`);
        graph.initializers.set(idx, int64Tensor([count], Array.from({ length: count }, (_, j) => j * s)));
        const next = k === axes.length - 1 ? out : names.next(`${out}__stride_axis${a}`);
        const g = new GraphNode(names.next(`${conv.name}__stride_gather${a}`), 'Gather', [cur, idx], [next]);
        g.attrs.set('axis', { kind: 'int', value: a });
        nodes.push(g);
        cur = next;
      });
    }
    changes.push(`rewrote ${conv.describe()} with strides [${strides.join(',')}] as stride 1 + ${graph.opset >= 10 ? 'Slice' : 'Gather'} (steps on axes ${axes.join(',')})`);
  }
  graph.nodes = nodes;
  return result(changes, notes);
}

export const CONV_STRIDE_TO_SLICE: Pass = {
  name: 'conv-stride-to-slice',
  description: 'rewrite a Conv with non-uniform strides (e.g. [2,1]) as stride 1 + strided Slice (exact; costs the stride factor in compute)',
  run: convStrideToSlice,
};
