// The passes as steps (lib/ir/steps.ts): run in time slices they give what the synchronous passes
// give, and foldConvAdd's single scan folds what rescanning after each fold folded, in that order.
import * as path from 'path';
import { Graph, Node } from '../../lib/ir/graph';
import { runStepsSliced } from '../../lib/ir/steps';
import { Tensor } from '../../lib/ir/tensor';
import { loadModelSync } from '../../lib/io/onnx';
import { foldConvAdd, foldConvAddSteps } from '../../lib/passes/fold-conv-affine';
import { DEFAULT_PIPELINE, runPasses, runPassesSteps } from '../../lib/passes/pipeline';

let seed = 11;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const f32 = (shape: number[]) => new Tensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd));

/** Nodes and initializer bytes of a graph, for exact comparison. */
function snapshot(g: Graph): unknown {
  return {
    nodes: g.nodes.map((n) => [n.name, n.opType, n.inputs.slice(), n.outputs.slice()]),
    initializers: [...g.initializers].map(([k, t]) => [k, t.dtype, t.shape.slice(), Array.from(t.data as ArrayLike<number>)]),
  };
}

describe('passes as steps', () => {
  it('foldConvAdd folds chains after several Convs in one scan, in graph order', async () => {
    const g = new Graph();
    g.opsets = new Map([['', 13]]);
    g.inputs = [{ name: 'x', dtype: 'float32', shape: [1, 2, 4, 4] }];
    g.outputs = [{ name: 'y', dtype: 'float32', shape: [1, 3, 4, 4] }];
    for (const [k, s] of [['w1', [2, 2, 1, 1]], ['w2', [3, 2, 1, 1]], ['a1', [1, 2, 1, 1]], ['b1', [2, 1, 1]], ['a2', [3, 1, 1]]] as const) g.initializers.set(k, f32([...s]));
    // conv1 -> mul -> add -> conv2 -> mul: the first Conv folds twice, then the second once.
    g.nodes = [
      new Node('conv1', 'Conv', ['x', 'w1'], ['c1']), new Node('mul1', 'Mul', ['c1', 'a1'], ['m1']), new Node('add1', 'Add', ['m1', 'b1'], ['s1']),
      new Node('conv2', 'Conv', ['s1', 'w2'], ['c2']), new Node('mul2', 'Mul', ['a2', 'c2'], ['y']),
    ];
    const sliced = g.clone();
    const r = foldConvAdd(g);
    expect(r.details).toEqual([
      'folded Mul "mul1" into Conv "conv1"', 'folded Add "add1" into Conv "conv1"', 'folded Mul "mul2" into Conv "conv2"',
    ]);
    expect(g.nodes.map((n) => [n.name, n.outputs[0]])).toEqual([['conv1', 's1'], ['conv2', 'y']]);
    expect(await runStepsSliced(foldConvAddSteps(sliced))).toEqual(r);
    expect(snapshot(sliced)).toEqual(snapshot(g));
  });

  it('runPassesSteps in time slices rewrites a model exactly as runPasses', async () => {
    const file = path.join(__dirname, '..', 'fixtures', 'models', 'digits_mobilenetv2.onnx');
    const a = loadModelSync(file).graph;
    const b = a.clone();
    const ra = runPasses(a, DEFAULT_PIPELINE);
    const rb = await runStepsSliced(runPassesSteps(b, DEFAULT_PIPELINE), 0.01);
    expect(ra.changed).toBeGreaterThan(0);
    expect(rb).toEqual(ra);
    expect(snapshot(b)).toEqual(snapshot(a));
  });
});
