/**
 * The ONNX backend test data (Debian libonnx-testdata 1.12): every model loads or fails with an
 * NpuqError, and every input/output .pb of a tensor-typed value reads with the declared type.
 */
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { NpuqError } from '../../lib/errors';
import { Tensor, dtypeFromOnnx } from '../../lib/ir/tensor';
import { loadModelSync, readTensorProtoFile } from '../../lib/io/onnx';
import { halfToFloat } from './helpers';

const ROOT = '/usr/share/libonnx-testdata/data';
const present = fs.existsSync(path.join(ROOT, 'node'));
const maybe = present ? describe : describe.skip;

function listModels(sub: string): string[] {
  const d = path.join(ROOT, sub);
  if (!fs.existsSync(d)) return [];
  return fs.readdirSync(d).map((t) => path.join(d, t, 'model.onnx')).filter((p) => fs.existsSync(p));
}

const read = (test: string, file: string): Tensor => readTensorProtoFile(path.join(ROOT, 'node', test, 'test_data_set_0', file)).tensor;
const nums = (t: Tensor) => Array.from(t.data as ArrayLike<number | bigint>);

maybe('ONNX backend test data', () => {
  it('loads every node test model, failing only with NpuqError', () => {
    const models = listModels('node');
    expect(models.length).toBeGreaterThan(900);
    const failures: Record<string, number> = {};
    let loaded = 0;
    for (const p of models) {
      try {
        const m = loadModelSync(p);
        expect(m.graph.outputs.length).toBeGreaterThan(0);
        loaded++;
      } catch (err) {
        if (!(err instanceof NpuqError)) throw new Error(`${p}: ${(err as Error).stack}`);
        expect(err.file).toBe(p);
        failures[err.code] = (failures[err.code] ?? 0) + 1;
      }
    }
    // 1.12 data: 47 models are UNSUPPORTED (opset < 7, sequence/optional values); none is INVALID_MODEL.
    expect(failures).toEqual({ UNSUPPORTED: models.length - loaded });
    expect(loaded).toBeGreaterThan(850);
  });

  it('loads the pytorch-converted, pytorch-operator, real and simple models, failing only with NpuqError', () => {
    for (const sub of ['pytorch-converted', 'pytorch-operator', 'real', 'simple']) {
      for (const p of listModels(sub)) {
        try {
          loadModelSync(p);
        } catch (err) {
          if (!(err instanceof NpuqError)) throw new Error(`${p}: ${(err as Error).stack}`);
        }
      }
    }
  });

  it('reads every test_data_set .pb of tensor values with the declared dtype and shape', () => {
    let read = 0;
    let rejected = 0;
    const mismatches: string[] = [];
    for (const model of listModels('node')) {
      const dir = path.dirname(model);
      const g = onnx.ModelProto.decode(fs.readFileSync(model)).graph as onnx.GraphProto;
      const inits = new Set(g.initializer.map((t) => t.name));
      const declared = { input: g.input.filter((v) => !inits.has(v.name)), output: g.output };
      for (const set of fs.readdirSync(dir).filter((d) => d.startsWith('test_data_set_'))) {
        for (const f of fs.readdirSync(path.join(dir, set))) {
          const m = /^(input|output)_(\d+)\.pb$/.exec(f);
          if (!m) continue;
          const v = declared[m[1] as 'input' | 'output'][Number(m[2])];
          const file = path.join(dir, set, f);
          const tt = v?.type?.tensorType;
          if (!tt) {
            // SequenceProto / OptionalProto files: not TensorProtos; reading them must fail cleanly.
            try {
              readTensorProtoFile(file);
            } catch (err) {
              if (!(err instanceof NpuqError)) throw err;
              rejected++;
            }
            continue;
          }
          const { name, tensor } = readTensorProtoFile(file);
          read++;
          const dtype = dtypeFromOnnx(tt.elemType ?? 0);
          // onnx <= 1.13 test data stores bfloat16 tensors as UINT16 (same bits), with other shapes.
          if (dtype === 'bfloat16' && tensor.dtype === 'uint16') continue;
          if (tensor.dtype !== dtype) mismatches.push(`${file}: dtype ${tensor.dtype}, declared ${dtype}`);
          const dims = tt.shape?.dim?.map((d) => (Object.prototype.hasOwnProperty.call(d, 'dimValue') ? Number(d.dimValue) : undefined));
          // CastLike's "like" input is a 1-element stand-in in that data, whatever the declared shape.
          const likeInput = /castlike/.test(dir) && f === 'input_1.pb';
          if (!likeInput && dims && dims.every((d) => d !== undefined) && JSON.stringify(dims) !== JSON.stringify(tensor.shape)) {
            mismatches.push(`${file}: shape [${tensor.shape}], declared [${dims}]`);
          }
          if (name) expect(typeof name).toBe('string');
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(read).toBeGreaterThan(2700);
    expect(rejected).toBeGreaterThan(0);
  });

  it('reads known values: abs, shape (int64), dequantizelinear (uint8), bool and, strings, float16', () => {
    const x = nums(read('test_abs', 'input_0.pb')) as number[];
    expect(nums(read('test_abs', 'output_0.pb'))).toEqual(x.map(Math.abs));
    expect(x[0]).toBeCloseTo(1.764052345967664, 6); // numpy seed 0: randn()[0]

    expect(read('test_shape', 'output_0.pb').data).toEqual(BigInt64Array.from([3n, 4n, 5n]));

    const q = nums(read('test_dequantizelinear', 'input_0.pb')) as number[];
    const scale = nums(read('test_dequantizelinear', 'input_1.pb'))[0] as number;
    const zp = nums(read('test_dequantizelinear', 'input_2.pb'))[0] as number;
    expect(read('test_dequantizelinear', 'input_0.pb').dtype).toBe('uint8');
    expect(nums(read('test_dequantizelinear', 'output_0.pb'))).toEqual(q.map((v) => (v - zp) * scale));

    const a = nums(read('test_and2d', 'input_0.pb'));
    const b = nums(read('test_and2d', 'input_1.pb'));
    expect(read('test_and2d', 'output_0.pb').dtype).toBe('bool');
    expect(nums(read('test_and2d', 'output_0.pb'))).toEqual(a.map((v, i) => (v && b[i] ? 1 : 0)));

    const s = read('test_cast_FLOAT_to_STRING', 'output_0.pb');
    const f = nums(read('test_cast_FLOAT_to_STRING', 'input_0.pb')) as number[];
    expect(s.dtype).toBe('string');
    (s.data as string[]).forEach((str, i) => expect(Math.fround(Number(str))).toBe(f[i]));

    const h = read('test_cast_FLOAT16_to_FLOAT', 'input_0.pb');
    expect(h.dtype).toBe('float16');
    expect(nums(read('test_cast_FLOAT16_to_FLOAT', 'output_0.pb'))).toEqual((nums(h) as number[]).map(halfToFloat));
  });

  it('turns the Constant of test_constant into the initializer that output_0.pb holds', () => {
    const g = loadModelSync(path.join(ROOT, 'node', 'test_constant', 'model.onnx')).graph;
    expect(g.nodes).toHaveLength(0);
    const t = g.initializers.get('values')!;
    const expected = read('test_constant', 'output_0.pb');
    expect([t.dtype, t.shape, t.data]).toEqual([expected.dtype, expected.shape, expected.data]);
  });
});
