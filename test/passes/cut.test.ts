/**
 * Truncating a model at given tensors and extracting a subgraph: the cut model's outputs equal the
 * original's intermediate values (Session with `outputs`), in onnxruntime and the Session; unknown
 * names fail naming the closest tensors.
 */
import * as path from 'path';
import { NpuqError } from '../../lib/errors';
import { loadModel } from '../../lib/io/onnx';
import { Tensor } from '../../lib/ir/tensor';
import { extractSubgraph, truncateGraph } from '../../lib/passes/cut';
import { Session } from '../../lib/runtime/session';
import { agreement, cloneModel, model, node, opCounts, randn, rng, runOrt, runSession } from './helpers';

const MODELS = path.join(__dirname, '..', 'fixtures', 'models');
const r = rng(41);

async function intermediate(file: string, x: Tensor, names: string[]): Promise<Record<string, Tensor>> {
  const s = await Session.create(file, { fuse: false, threads: 2 });
  try {
    return await s.run({ input: x }, { outputs: names });
  } finally {
    s.dispose();
  }
}

describe('truncateGraph', () => {
  it('cuts digits_cnn after its second block; the new output equals the intermediate value', async () => {
    const file = path.join(MODELS, 'digits_cnn.onnx');
    const m = await loadModel(file);
    const at = '/features/features.6/Relu_output_0';
    const res = truncateGraph(m.graph, [at]);
    expect(res.details[0]).toBe(`truncated at "${at}" (now a graph output)`);
    expect(res.details).toContain('graph output "logits" is no longer computed');
    expect(m.graph.outputs.map((o) => o.name)).toEqual([at]);
    expect(m.graph.outputs[0]).toMatchObject({ dtype: 'float32', shape: ['N', 32, 10, 10] });
    expect(opCounts(m.graph)).toEqual({ Conv: 2, BatchNormalization: 2, Relu: 2, MaxPool: 1 });
    const x = randn([3, 1, 20, 20], r);
    const want = (await intermediate(file, x, [at]))[at].data as Float32Array;
    for (const run of [runOrt, runSession]) expect(agreement([want], await run(m, x)).maxAbs).toBeLessThan(1e-5);
    expect(truncateGraph(m.graph, [at]).changed).toBe(0);
  });

  it('keeps outputs that do not depend on the cut', () => {
    const m = model({
      x: [4], outputs: ['y', 'z'],
      nodes: [node('Relu', ['x'], ['a']), node('Exp', ['a'], ['y']), node('Neg', ['x'], ['b']), node('Abs', ['b'], ['z'])],
    });
    truncateGraph(m.graph, ['a']);
    expect(m.graph.outputs.map((o) => o.name)).toEqual(['z', 'a']);
    expect(opCounts(m.graph)).toEqual({ Relu: 1, Neg: 1, Abs: 1 });
  });

  it('names the closest tensors for an unknown name and refuses a graph input', async () => {
    const m = await loadModel(path.join(MODELS, 'digits_cnn.onnx'));
    const bad = () => truncateGraph(m.graph, ['/features/features.6/Relu_output']);
    expect(bad).toThrow(NpuqError);
    expect(bad).toThrow(/"\/features\/features.6\/Relu_output" \(in the tensors to truncate at\) is not a tensor of the graph; the closest names are "\/features\/features.6\/Relu_output_0"/);
    expect(() => truncateGraph(m.graph, ['input'])).toThrow(/graph input or initializer/);
    expect(() => truncateGraph(m.graph, [])).toThrow(TypeError);
  });
});

describe('extractSubgraph', () => {
  it('extracts two inverted-residual blocks of digits_mobilenetv2 with an inferred input shape', async () => {
    const file = path.join(MODELS, 'digits_mobilenetv2.onnx');
    const m = await loadModel(file);
    const from = '/blocks/blocks.2/Add_output_0';
    const to = '/blocks/blocks.4/Add_output_0';
    const before = m.graph.nodes.length;
    const sub = cloneModel(m);
    const res = extractSubgraph(sub.graph, [from], [to]);
    expect(res.changed).toBe(1);
    expect(sub.graph.nodes.length).toBeLessThan(before);
    expect(sub.graph.inputs).toEqual([{ name: from, dtype: 'float32', shape: ['N', 24, 8, 8] }]);
    expect(sub.graph.outputs.map((o) => o.name)).toEqual([to]);
    expect(sub.graph.nodes[0].inputs[0]).toBe(from);
    const x = randn([2, 1, 32, 32], r);
    const vals = await intermediate(file, x, [from, to]);
    const want = vals[to].data as Float32Array;
    for (const run of [runOrt, runSession]) expect(agreement([want], await run(sub, vals[from])).maxAbs).toBeLessThan(1e-5);
  });

  it('requires every graph input the outputs depend on, and known names', async () => {
    const m = await loadModel(path.join(MODELS, 'digits_mobilenetv2.onnx'));
    expect(() => extractSubgraph(m.graph, ['/blocks/blocks.0/block/block.7/BatchNormalization_output_0'], ['/blocks/blocks.0/Add_output_0']))
      .toThrow(/also depend on the graph input\(s\) "input"; add them/);
    expect(() => extractSubgraph(m.graph, ['input'], ['logit'])).toThrow(/"logit" \(in the outputs of the subgraph\) is not a tensor of the graph; the closest names are "logits"/);
  });
});
