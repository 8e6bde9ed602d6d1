/**
 * Div by a constant becomes Mul by its reciprocal: Div(x, c) → Mul(x, 1/c) for float32/float64
 * constants without zeros, so the scale can fold into a neighbouring Conv (fold-mul-add-*-conv) and
 * quantizers see the Mul they handle. Not bit-exact: 1/c is rounded to the constant's type before
 * the multiply, so outputs differ from x / c by about one ulp (cosine 1 - 1e-7 or better).
 */
import type { Graph } from '../ir/graph';
import { Tensor } from '../ir/tensor';
import { result, type Pass, type PassResult } from './pass';
import { NameGen, removeDead } from './util';

/** Rewrites every Div whose divisor is a float constant initializer without zeros into a Mul. */
export function divToMul(graph: Graph): PassResult {
  const changes: string[] = [];
  const names = new NameGen(graph);
  for (const n of graph.nodes) {
    if (n.opType !== 'Div' || n.domain !== '' || n.inputs.length !== 2) continue;
    const c = graph.initializers.get(n.inputs[1]);
    if (!c || (c.dtype !== 'float32' && c.dtype !== 'float64')) continue;
    const d = c.data as Float32Array | Float64Array;
    if (d.some((v) => v === 0 || !Number.isFinite(v))) continue;
    const r = c.dtype === 'float32' ? Float32Array.from(d, (v) => 1 / v) : Float64Array.from(d, (v) => 1 / v);
    const name = names.next(`${n.inputs[1]}__reciprocal`);
    graph.initializers.set(name, new Tensor(c.dtype, c.shape, r));
    n.opType = 'Mul';
    n.inputs[1] = name;
    changes.push(`rewrote ${n.name ? `Div "${n.name}"` : 'a Div'} by a constant into Mul by its reciprocal`);
  }
  if (changes.length) removeDead(graph);
  return result(changes);
}

export const DIV_TO_MUL: Pass = {
  name: 'div-to-mul',
  description: 'rewrite Div by a float constant into Mul by its reciprocal (not bit-exact: ~1 ulp)',
  run: (graph) => divToMul(graph),
};
