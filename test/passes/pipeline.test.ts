/**
 * The pass framework: the registry, unknown names, pipelines run to a fixed point, custom passes,
 * input shapes; and the default "optimize" pipeline on a hand-made graph holding every pattern at
 * once (outputs equal in onnxruntime and the Session, only the essential ops left).
 */
import { NpuqError } from '../../lib/errors';
import { DEFAULT_PIPELINE, getPass, listPasses, runPasses } from '../../lib/passes/pipeline';
import type { Pass } from '../../lib/passes/pass';
import { cloneModel, expectSameOutputs, i64, model, node, opCounts, randn, rng, scalar } from './helpers';

const r = rng(51);

describe('registry', () => {
  it('lists every pass with a description and whether it is in the default pipeline', () => {
    const list = listPasses();
    expect(list.map((p) => p.name)).toEqual([
      'constant-fold', 'remove-identity', 'dead-code', 'fold-batchnorm', 'fuse-hardswish', 'div-to-mul',
      'fold-mul-add-after-conv', 'fold-mul-add-before-conv', 'fold-channel-swap', 'cancel-transposes', 'conv-stride-to-slice', 'cle',
    ]);
    expect(list.filter((p) => !p.default).map((p) => p.name)).toEqual(['conv-stride-to-slice', 'cle']);
    expect(list.every((p) => p.description.length > 20)).toBe(true);
    expect(DEFAULT_PIPELINE).toContain('fold-batchnorm');
  });

  it('rejects unknown pass names naming the closest one, before touching the graph', () => {
    expect(() => getPass('fold-bn')).toThrow(NpuqError);
    expect(() => getPass('fold-bn')).toThrow(/unknown pass "fold-bn"; did you mean "fold-batchnorm"\?/);
    const m = model({ x: [1], outputs: ['y'], nodes: [node('Identity', ['x'], ['t']), node('Relu', ['t'], ['y'])] });
    try {
      runPasses(m.graph, ['remove-identity', 'cancel-transpose']);
      throw new Error('expected a throw');
    } catch (e) {
      expect((e as NpuqError).code).toBe('INVALID_ARGUMENT');
      expect((e as Error).message).toMatch(/did you mean "cancel-transposes"/);
    }
    expect(opCounts(m.graph)).toEqual({ Identity: 1, Relu: 1 });
    expect(() => runPasses(m.graph, [{ name: 'x' } as unknown as Pass])).toThrow(TypeError);
  });

  it('checks inputShapes against the declared inputs', () => {
    const m = model({ x: ['N', 3], outputs: ['y'], nodes: [node('Relu', ['x'], ['y'])] });
    expect(() => runPasses(m.graph, [], { inputShapes: new Map([['z', [1, 3]]]) })).toThrow(/name graph inputs but received "z"/);
    expect(() => runPasses(m.graph, [], { inputShapes: new Map([['x', [1, 4]]]) })).toThrow(/Expected a shape matching \[N,3\]/);
  });
});

describe('runPasses', () => {
  it('repeats the pipeline until nothing changes (a Transpose pair hid a BatchNorm)', async () => {
    const m = model({
      x: [2, 3, 5, 5], outputs: ['y'],
      init: { w: randn([4, 3, 3, 3], r), g: randn([4], r), b: randn([4], r), mu: randn([4], r), v: randn([4], r, 0.5, 2) },
      nodes: [
        node('Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }),
        node('Transpose', ['c'], ['t1'], { perm: [0, 2, 3, 1] }), node('Transpose', ['t1'], ['t2'], { perm: [0, 3, 1, 2] }),
        node('BatchNormalization', ['t2', 'g', 'b', 'mu', 'v'], ['y']),
      ],
    });
    const after = cloneModel(m);
    const res = runPasses(after.graph, ['fold-batchnorm', 'cancel-transposes']);
    expect(res.rounds).toBe(3);
    expect(res.passes).toEqual([
      { name: 'fold-batchnorm', changed: 1, details: ['folded BatchNormalization "y" into Conv "c"'] },
      { name: 'cancel-transposes', changed: 1, details: ['cancelled Transpose "t1" and Transpose "t2"'] },
    ]);
    expect(opCounts(after.graph)).toEqual({ Conv: 1 });
    await expectSameOutputs(m, after, randn([2, 3, 5, 5], r));
    expect(runPasses(after.graph).changed).toBe(0);
  });

  it('runs custom passes next to registered ones', () => {
    const m = model({ x: [2], outputs: ['y'], nodes: [node('Relu', ['x'], ['a']), node('Relu', ['a'], ['y'])] });
    let calls = 0;
    const dedupRelu: Pass = {
      name: 'dedup-relu', description: 'Relu(Relu(x)) = Relu(x)',
      run: (g) => {
        calls++;
        const inner = g.nodes.find((n) => n.opType === 'Relu' && g.nodes.some((o) => o.opType === 'Relu' && o.inputs[0] === n.outputs[0]));
        if (!inner) return { changed: 0, details: [] };
        const outer = g.nodes.find((o) => o.inputs[0] === inner.outputs[0])!;
        outer.inputs[0] = inner.inputs[0];
        return { changed: 1, details: ['merged two Relus'] };
      },
    };
    const res = runPasses(m.graph, [dedupRelu, 'dead-code']);
    expect(calls).toBe(2);
    expect(res.passes.map((p) => p.changed)).toEqual([1, 1]);
    expect(opCounts(m.graph)).toEqual({ Relu: 1 });
  });
});

describe('the default pipeline on a graph with every pattern', () => {
  it('leaves only the Convs, a Relu and the Reshape, with the same outputs', async () => {
    const m = model({
      x: [2, 3, 8, 8], outputs: ['y'],
      init: {
        bgr: i64([2, 1, 0]), mean: randn([1, 3, 1, 1], r), std: randn([1, 3, 1, 1], r, 0.2, 1),
        w1: randn([4, 3, 3, 3], r), g: randn([4], r), b: randn([4], r), mu: randn([4], r), v: randn([4], r, 0.5, 2),
        s: randn([1, 4, 1, 1], r), o: randn([4, 1, 1], r), w2: randn([5, 4, 3, 3], r), two: scalar(2),
        zero: i64([0]), minus1: i64([-1]), ratio: scalar(0.1),
      },
      nodes: [
        node('Gather', ['x', 'bgr'], ['bgr_x'], { axis: 1 }),                                   // channel swap
        node('Sub', ['bgr_x', 'mean'], ['centered']), node('Div', ['centered', 'std'], ['normed']),  // normalization
        node('Conv', ['normed', 'w1'], ['c1']),                                                 // unpadded: offsets fold
        node('BatchNormalization', ['c1', 'g', 'b', 'mu', 'v'], ['bn']),
        node('Mul', ['bn', 's'], ['scaled']), node('Add', ['scaled', 'o'], ['shifted']),        // conv -> mul -> add
        node('Identity', ['shifted'], ['id']), node('Relu', ['id'], ['act']),
        node('Transpose', ['act'], ['nhwc'], { perm: [0, 2, 3, 1] }), node('Transpose', ['nhwc'], ['nchw'], { perm: [0, 3, 1, 2] }),
        node('Div', ['nchw', 'two'], ['half']),                                                 // Div by constant, then into the Conv
        node('Conv', ['half', 'w2'], ['c2'], { pads: [1, 1, 1, 1] }),
        node('Dropout', ['c2', 'ratio'], ['dropped']),
        node('Shape', ['dropped'], ['shape']), node('Gather', ['shape', 'zero'], ['n']),      // shape subgraph
        node('Concat', ['n', 'minus1'], ['flat'], { axis: 0 }), node('Reshape', ['dropped', 'flat'], ['y']),
        node('Sigmoid', ['c1'], ['dead']),                                                      // dead code
      ],
    });
    const after = cloneModel(m);
    const res = runPasses(after.graph);
    expect(opCounts(after.graph)).toEqual({ Conv: 2, Relu: 1, Reshape: 1 });
    expect(after.graph.nodes[0].inputs[0]).toBe('x');
    const changed = Object.fromEntries(res.passes.map((p) => [p.name, p.changed]));
    expect(changed).toMatchObject({
      'constant-fold': 3, 'remove-identity': 2, 'fold-batchnorm': 1, 'div-to-mul': 2, 'fold-mul-add-after-conv': 2,
      'fold-mul-add-before-conv': 3, 'fold-channel-swap': 1, 'cancel-transposes': 1,
    });
    const a = await expectSameOutputs(m, after, randn([2, 3, 8, 8], r));
    expect(a.maxAbs).toBeLessThan(1e-4);
  });
});
