/**
 * @jest-environment ./test/ort-environment.js
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { Graph, Model, Node } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { loadModel, loadModelSync, saveModel, saveModelSync, serializeModel } from '../../lib/io/onnx';
import { readNpy } from '../../lib/data/npy';
import {
  catchNpuq, catchNpuqAsync, DIGITS_MODELS, encodeModel, FIXTURES, modelSummary, OCR_MODELS, tmpDir, vi,
} from './helpers';

const AT = onnx.AttributeProto.AttributeType;

/** The summary without the load path, which differs between a file and a buffer. */
const summary = (m: Model) => modelSummary(m);

async function runOrt(model: string | Uint8Array, x: Tensor): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model as never);
  try {
    const out = await s.run({ input: new ort.Tensor('float32', x.data as Float32Array, x.shape as number[]) });
    return out.logits.data as Float32Array;
  } finally {
    await s.release();
  }
}

function top1Accuracy(logits: Float32Array, labels: Uint8Array): number {
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = logits.subarray(i * 10, i * 10 + 10);
    if (row.indexOf(Math.max(...row)) === labels[i]) ok++;
  }
  return ok / labels.length;
}

describe('round trips', () => {
  it.each([...DIGITS_MODELS, ...OCR_MODELS])('load → serialize → load gives the same graph: %s', async (p) => {
    const a = await loadModel(p);
    const bytes = serializeModel(a);
    const b = await loadModel(bytes);
    expect(summary(b)).toEqual(summary(a));
    // And once more: the second serialization is byte-identical.
    expect(Buffer.from(serializeModel(b)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('saveModel and saveModelSync write files that load back the same', async () => {
    const dir = tmpDir();
    const a = loadModelSync(DIGITS_MODELS[1]);
    await saveModel(a, path.join(dir, 'async.onnx'));
    saveModelSync(a, path.join(dir, 'sync.onnx'));
    expect(summary(loadModelSync(path.join(dir, 'async.onnx')))).toEqual(summary(a));
    expect(summary(loadModelSync(path.join(dir, 'sync.onnx')))).toEqual(summary(a));
    expect(fs.readdirSync(dir).sort()).toEqual(['async.onnx', 'sync.onnx']); // no temporary files left
  });

  it('keeps 64-bit attribute extremes, string initializers and metadata', () => {
    const m = loadModelSync(encodeModel({
      nodes: [{
        opType: 'Slice', name: 's', input: ['x', 'starts', 'ends'], output: ['y'],
        attribute: [{ name: 'big', type: AT.INTS, ints: [{ low: -1, high: 0x7fffffff }, { low: 0, high: -0x80000000 }] as never }],
      }],
      initializers: [
        { name: 'starts', dataType: 7, dims: [1], int64Data: [0] },
        { name: 'ends', dataType: 7, dims: [1], int64Data: [{ low: -1, high: 0x7fffffff }] as never },
        { name: 'labels', dataType: 8, dims: [2], stringData: [Buffer.from('cat'), Buffer.from('狗')] },
      ],
      extra: { metadataProps: [{ key: 'author', value: 'me' }], docString: 'd', modelVersion: 5 },
    }));
    const again = loadModelSync(serializeModel(m));
    expect(summary(again)).toEqual(summary(m));
    expect(again.graph.nodes[0].attrInts('big')).toEqual([9223372036854775807, -9223372036854775808]);
    const proto = onnx.ModelProto.decode(serializeModel(m));
    const ints = proto.graph!.node![0].attribute![0].ints!.map((v) => (v as unknown as { toString(): string }).toString());
    expect(ints).toEqual(['9223372036854775807', '-9223372036854775808']);
    expect(again.graph.initializers.get('ends')!.data).toEqual(BigInt64Array.from([2n ** 63n - 1n]));
    expect(again.graph.initializers.get('labels')!.data).toEqual(['cat', '狗']);
  });

  it('lists initializers among the graph inputs for IR versions before 4', () => {
    const m = loadModelSync(encodeModel({
      irVersion: 3, inputs: [vi('x'), vi('w')],
      initializers: [{ name: 'w', dataType: 1, dims: [1], floatData: [2] }],
      nodes: [{ opType: 'Mul', input: ['x', 'w'], output: ['y'] }],
    }));
    const proto = onnx.ModelProto.decode(serializeModel(m));
    expect(proto.graph!.input!.map((v) => v.name)).toEqual(['x', 'w']);
    expect(summary(loadModelSync(serializeModel(m)))).toEqual(summary(m));
  });

  it('writes graph attributes and refuses attributes whose content was not kept', () => {
    const m = loadModelSync(encodeModel({
      inputs: [vi('c', 9, [])],
      nodes: [{ opType: 'If', input: ['c'], output: ['y'], attribute: [{ name: 'then_branch', type: AT.GRAPH, g: { name: 't' } }] }],
    }));
    const e = catchNpuq(() => serializeModel(m));
    expect([e.code, e.message]).toEqual(['UNSUPPORTED', 'Cannot save attribute "then_branch" of If "If_0": it is of ONNX attribute type GRAPH, whose content npuquant does not keep']);
    const body = new Graph();
    body.name = 'body';
    m.graph.nodes[0].attrs.set('then_branch', { kind: 'graph', value: body });
    const proto = onnx.ModelProto.decode(serializeModel(m));
    expect(proto.graph!.node![0].attribute![0].g!.name).toBe('body');
  });
});

describe('onnxruntime runs the saved digits models with identical outputs', () => {
  const x20 = readNpy(path.join(FIXTURES, 'digits', 'x.npy'));
  const x32 = readNpy(path.join(FIXTURES, 'digits', 'x32.npy'));
  const y = readNpy(path.join(FIXTURES, 'digits', 'y.npy')).data as Uint8Array;

  it.each(DIGITS_MODELS)('%s', async (p) => {
    const x = p.includes('digits_cnn') ? x20 : x32;
    const model = await loadModel(p);
    const expected = await runOrt(p, x);
    expect(top1Accuracy(expected, y)).toBeGreaterThan(0.97);
    const inline = await runOrt(serializeModel(model), x);
    expect(Buffer.from(inline.buffer).equals(Buffer.from(expected.buffer))).toBe(true);

    const dir = tmpDir();
    const file = path.join(dir, 'model.onnx');
    await saveModel(model, file, { externalDataThreshold: 1024 });
    expect(fs.existsSync(path.join(dir, 'model.data'))).toBe(true);
    expect(fs.statSync(file).size).toBeLessThan(fs.statSync(p).size / 2);
    const external = await runOrt(file, x);
    expect(Buffer.from(external.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });
});

(OCR_MODELS.length > 0 ? describe : describe.skip)('onnxruntime runs the saved PaddleOCR models with identical outputs', () => {
  const shapes: Record<string, number[]> = { det: [1, 3, 64, 96], rec: [1, 3, 48, 160], cls: [1, 3, 48, 192] };
  it.each(OCR_MODELS.length > 0 ? OCR_MODELS : ['(missing)'])('%s', async (p) => {
    const shape = Object.entries(shapes).find(([k]) => path.basename(p).includes(`_${k}_`))![1];
    const x = new Float32Array(shape.reduce((a, b) => a * b, 1));
    let seed = 1;
    for (let i = 0; i < x.length; i++) x[i] = ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const run = async (model: string | Uint8Array) => {
      const s = await ort.InferenceSession.create(model as never);
      try {
        const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, shape) });
        return s.outputNames.map((n) => Buffer.from((out[n].data as Float32Array).buffer));
      } finally {
        await s.release();
      }
    };
    const expected = await run(p);
    const got = await run(serializeModel(await loadModel(p)));
    expect(got.map((b, i) => b.equals(expected[i]))).toEqual(expected.map(() => true));
  });
});

describe('external data', () => {
  const source = loadModelSync(DIGITS_MODELS[0]);

  it('saves large initializers to <model>.data and loads them back (sync and async)', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'cnn.onnx');
    saveModelSync(source, file, { externalDataThreshold: 4096 });
    const proto = onnx.ModelProto.decode(fs.readFileSync(file));
    const ext = proto.graph!.initializer!.filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
    expect(ext.length).toBeGreaterThan(0);
    for (const t of ext) {
      const kv = Object.fromEntries(t.externalData!.map((e) => [e.key, e.value]));
      expect(kv.location).toBe('cnn.data');
      expect(Number(kv.offset) % 64).toBe(0);
    }
    expect(summary(loadModelSync(file))).toEqual(summary(source));
    expect(summary(await loadModel(file))).toEqual(summary(source));
  });

  it('honours externalDataFile, creating its directory', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'm.onnx');
    await saveModel(source, file, { externalDataThreshold: 0, externalDataFile: 'weights/all.bin' });
    expect(fs.existsSync(path.join(dir, 'weights', 'all.bin'))).toBe(true);
    expect(summary(await loadModel(file))).toEqual(summary(source));
  });

  it('loads a buffer with external data only when given baseDir', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'm.onnx');
    saveModelSync(source, file, { externalDataThreshold: 1024 });
    const bytes = fs.readFileSync(file);
    const e = await catchNpuqAsync(() => loadModel(bytes));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^Tensor ".+" in the model buffer stores its data in the external file "m\.data"; the model was given as a buffer, so pass options\.baseDir \(the directory of the model\) to load it$/);
    expect(summary(await loadModel(bytes, { baseDir: dir }))).toEqual(summary(source));
  });

  it('reports a missing or truncated data file and locations outside the model directory', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'm.onnx');
    saveModelSync(source, file, { externalDataThreshold: 1024 });
    fs.truncateSync(path.join(dir, 'm.data'), 1000);
    const short = catchNpuq(() => loadModelSync(file));
    expect([short.code, short.file]).toEqual(['INVALID_MODEL', file]);
    expect(short.message).toContain('but that file has only 1000 bytes (truncated?)');
    fs.rmSync(path.join(dir, 'm.data'));
    const missing = await catchNpuqAsync(() => loadModel(file));
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.message).toMatch(/stores its data in "m\.data", which does not exist/);

    const proto = onnx.ModelProto.decode(fs.readFileSync(file));
    proto.graph!.initializer!.find((t) => t.dataLocation === 1)!.externalData![0].value = '../../etc/passwd';
    fs.writeFileSync(file, onnx.ModelProto.encode(proto).finish());
    const escape = catchNpuq(() => loadModelSync(file));
    expect([escape.code, escape.file]).toEqual(['INVALID_MODEL', file]);
    expect(escape.message).toContain(`has external data location "../../etc/passwd", which points outside the model's directory "${dir}"; external data files must be inside it`);
  });

  it('validates the save arguments', () => {
    const f = path.join(tmpDir(), 'm.onnx');
    expect(catchNpuq(() => saveModelSync(source, f, { externalDataThreshold: -1 })).message)
      .toBe('Expected a non-negative number of bytes for options.externalDataThreshold of saveModel but received number -1');
    expect(catchNpuq(() => saveModelSync(source, f, { externalDataThreshold: 1, externalDataFile: '../out.data' })).message)
      .toBe('Expected a file name inside the model\'s directory for options.externalDataFile of saveModel but received "../out.data"');
    expect(catchNpuq(() => saveModelSync(source, f, { externalDataThreshold: 1, externalDataFile: 'm.onnx' })).message)
      .toBe('Expected an external data file other than the model itself for options.externalDataFile of saveModel but received "m.onnx"');
    expect(catchNpuq(() => saveModelSync({} as Model, f)).message).toBe('Expected a Model for the model to save but received an object of type Object');
    expect(catchNpuq(() => saveModelSync(source, '')).code).toBe('INVALID_ARGUMENT');
    const w = catchNpuq(() => saveModelSync(source, path.join(f, 'no', 'such', 'dir.onnx')));
    expect(w.code).toBe('FILE_WRITE');
  });

  it('refuses to serialize more than 2 GiB inline, pointing to externalDataThreshold', () => {
    const big = new Float32Array(16 * 1024 * 1024); // 64 MiB, shared by 33 initializers = 2.06 GiB
    const g = new Graph();
    g.inputs = [{ name: 'x', dtype: 'float32', shape: [1] }];
    g.outputs = [{ name: 'y', dtype: 'float32', shape: [1] }];
    g.nodes = [new Node('n', 'Identity', ['x'], ['y'])];
    for (let i = 0; i < 33; i++) g.initializers.set(`w${i}`, new Tensor('float32', [big.length], big));
    const e = catchNpuq(() => serializeModel(new Model(g)));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toBe('Cannot save the model: its tensors hold 2214592512 bytes, more than protobuf\'s 2 GiB limit; pass externalDataThreshold (e.g. 1024) to write large tensors to an external data file');
  });
});
