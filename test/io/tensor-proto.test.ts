import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { DType, ONNX_DTYPE_CODE, Tensor } from '../../lib/ir/tensor';
import { bigIntToLong } from '../../lib/io/onnx/int64';
import { protoToTensor, readTensorProtoFile, TensorContext, tensorToProto } from '../../lib/io/onnx';
import { catchNpuq, tmpDir } from './helpers';

const DT = onnx.TensorProto.DataType;

function ctxFor(dir = '/nonexistent'): TensorContext {
  const file = path.join(dir, 'model.onnx');
  return { file, label: `"${file}"`, baseDir: dir, code: 'INVALID_MODEL' };
}

/** Encodes and decodes, so that the conversion sees what protobufjs produces (Long objects, Buffers). */
function wire(p: onnx.ITensorProto): onnx.TensorProto {
  return onnx.TensorProto.decode(onnx.TensorProto.encode(p).finish());
}

const SAMPLES: Record<Exclude<DType, 'string'>, Tensor> = {
  float32: new Tensor('float32', [2, 3], Float32Array.from([0, -1.5, 3.25, 1e-30, -Infinity, NaN])),
  float64: new Tensor('float64', [3], Float64Array.from([Math.PI, -0, 1e300])),
  float16: new Tensor('float16', [2], Uint16Array.from([0x3c00, 0xfbff])),
  bfloat16: new Tensor('bfloat16', [2], Uint16Array.from([0x3f80, 0xc049])),
  int8: new Tensor('int8', [3], Int8Array.from([-128, 0, 127])),
  uint8: new Tensor('uint8', [3], Uint8Array.from([0, 128, 255])),
  int16: new Tensor('int16', [2], Int16Array.from([-32768, 32767])),
  uint16: new Tensor('uint16', [2], Uint16Array.from([0, 65535])),
  int32: new Tensor('int32', [2], Int32Array.from([-(2 ** 31), 2 ** 31 - 1])),
  uint32: new Tensor('uint32', [2], Uint32Array.from([0, 2 ** 32 - 1])),
  int64: new Tensor('int64', [3], BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 9007199254740993n])),
  uint64: new Tensor('uint64', [2], BigUint64Array.from([0n, 2n ** 64n - 1n])),
  bool: new Tensor('bool', [2, 2], Uint8Array.from([1, 0, 0, 1])),
};

describe('tensorToProto / protoToTensor via raw_data', () => {
  it.each(Object.keys(SAMPLES))('round-trips %s', (dtype) => {
    const t = SAMPLES[dtype as keyof typeof SAMPLES];
    const p = wire(tensorToProto('w', t));
    expect(p.name).toBe('w');
    expect(p.dataType).toBe(ONNX_DTYPE_CODE[t.dtype]);
    expect(p.rawData.length).toBe(t.size * (t.data as Uint8Array).BYTES_PER_ELEMENT);
    const back = protoToTensor(p, ctxFor());
    expect(back.dtype).toBe(t.dtype);
    expect(back.shape).toEqual(t.shape);
    expect(back.data).toEqual(t.data);
  });

  it('round-trips a string tensor through string_data (UTF-8)', () => {
    const t = new Tensor('string', [3], ['héllo', '', '数字']);
    const p = wire(tensorToProto('s', t));
    expect(p.stringData.length).toBe(3);
    expect(protoToTensor(p, ctxFor()).data).toEqual(['héllo', '', '数字']);
  });

  it('copies unaligned raw_data into aligned storage', () => {
    for (const dtype of ['float32', 'float64', 'int64', 'int16'] as const) {
      const t = SAMPLES[dtype];
      const bytes = (tensorToProto('', t).rawData as Uint8Array);
      const padded = Buffer.alloc(bytes.length + 1);
      padded.set(bytes, 1);
      const raw = padded.subarray(1); // byteOffset 1: no Float32Array view possible
      const back = protoToTensor({ dataType: ONNX_DTYPE_CODE[dtype], dims: t.shape.slice(), rawData: raw }, ctxFor());
      expect(back.data).toEqual(t.data);
      expect((back.data as Float32Array).byteOffset % (back.data as Float32Array).BYTES_PER_ELEMENT).toBe(0);
    }
  });

  it('handles 0-d and empty tensors', () => {
    const s = protoToTensor(wire(tensorToProto('s', new Tensor('float32', [], Float32Array.from([7])))), ctxFor());
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data as Float32Array)).toEqual([7]);
    const e = protoToTensor(wire(tensorToProto('e', new Tensor('int64', [0, 4], new BigInt64Array(0)))), ctxFor());
    expect(e.shape).toEqual([0, 4]);
    expect(e.size).toBe(0);
  });

  it('normalises bool bytes to 0/1', () => {
    const t = protoToTensor({ dataType: DT.BOOL, dims: [3], rawData: Uint8Array.from([0, 2, 255]) }, ctxFor());
    expect(Array.from(t.data as Uint8Array)).toEqual([0, 1, 1]);
  });
});

describe('protoToTensor via typed fields', () => {
  const cases: [string, onnx.ITensorProto, unknown[]][] = [
    ['float_data', { dataType: DT.FLOAT, dims: [2], floatData: [1.5, -2] }, [1.5, -2]],
    ['double_data', { dataType: DT.DOUBLE, dims: [2], doubleData: [0.1, -1e300] }, [0.1, -1e300]],
    ['int32_data int32', { dataType: DT.INT32, dims: [2], int32Data: [-5, 2 ** 31 - 1] }, [-5, 2 ** 31 - 1]],
    ['int32_data int8', { dataType: DT.INT8, dims: [2], int32Data: [-128, 127] }, [-128, 127]],
    ['int32_data uint8', { dataType: DT.UINT8, dims: [2], int32Data: [0, 255] }, [0, 255]],
    ['int32_data int16', { dataType: DT.INT16, dims: [2], int32Data: [-32768, 32767] }, [-32768, 32767]],
    ['int32_data uint16', { dataType: DT.UINT16, dims: [2], int32Data: [0, 65535] }, [0, 65535]],
    ['int32_data bool', { dataType: DT.BOOL, dims: [3], int32Data: [0, 1, 5] }, [0, 1, 1]],
    ['int32_data float16', { dataType: DT.FLOAT16, dims: [2], int32Data: [0x3c00, 0xc000] }, [0x3c00, 0xc000]],
    ['int32_data bfloat16', { dataType: DT.BFLOAT16, dims: [1], int32Data: [0x3f80] }, [0x3f80]],
    ['int64_data (Long, beyond 2^53)', {
      dataType: DT.INT64, dims: [3],
      int64Data: [bigIntToLong(-(2n ** 63n)), bigIntToLong(2n ** 63n - 1n), bigIntToLong(9007199254740993n)] as unknown as number[],
    }, [-(2n ** 63n), 2n ** 63n - 1n, 9007199254740993n]],
    ['int64_data (numbers)', { dataType: DT.INT64, dims: [2], int64Data: [-3, 4] }, [-3n, 4n]],
    ['uint64_data uint32', { dataType: DT.UINT32, dims: [2], uint64Data: [0, 4294967295] }, [0, 4294967295]],
    ['uint64_data uint64', {
      dataType: DT.UINT64, dims: [2], uint64Data: [bigIntToLong(2n ** 64n - 1n, true), 5] as unknown as number[],
    }, [2n ** 64n - 1n, 5n]],
    ['string_data', { dataType: DT.STRING, dims: [2], stringData: [Buffer.from('a'), Buffer.from('ü')] }, ['a', 'ü']],
  ];
  it('ignores an empty raw_data next to a typed field', () => {
    const t = protoToTensor(wire({ dataType: DT.FLOAT, dims: [2], rawData: new Uint8Array(0), floatData: [1, 2] }), ctxFor());
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2]);
  });

  it.each(cases)('reads %s', (_, p, expected) => {
    const t = protoToTensor(wire(p), ctxFor());
    expect(Array.from(t.data as ArrayLike<unknown>)).toEqual(expected);
    expect(t.shape).toEqual((p.dims as number[]).slice());
  });
});

describe('protoToTensor errors', () => {
  const ctx = ctxFor('/models');
  const bad = (p: onnx.ITensorProto) => catchNpuq(() => protoToTensor(wire(p), ctx));

  it('rejects negative dims naming tensor and file', () => {
    const e = bad({ name: 'w', dataType: DT.FLOAT, dims: [2, -1], rawData: new Uint8Array(8) });
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.file).toBe('/models/model.onnx');
    expect(e.message).toBe('Tensor "w" in "/models/model.onnx" has dims [2,-1]: dimension -1 is negative or not an integer');
  });

  it('rejects raw_data whose size does not match the dims', () => {
    const e = bad({ name: 'w', dataType: DT.FLOAT, dims: [2, 3], rawData: new Uint8Array(20) });
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toBe('Tensor "w" in "/models/model.onnx" has 20 bytes of raw_data, but dims [2,3] of float32 need 24 (6 elements)');
  });

  it('rejects typed data whose length does not match the dims', () => {
    expect(bad({ name: 'b', dataType: DT.FLOAT, dims: [3], floatData: [1, 2] }).message)
      .toBe('Tensor "b" in "/models/model.onnx" has 2 elements in float_data, but dims [3] need 3');
    expect(bad({ name: 'c', dataType: DT.INT64, dims: [2] }).message)
      .toBe('Tensor "c" in "/models/model.onnx" has no data: dims [2] need 2 int64 elements in raw_data or int64_data');
  });

  it('rejects element counts over 2^31 before allocating', () => {
    const e = bad({ name: 'huge', dataType: DT.FLOAT, dims: [65536, 65536] });
    expect(e.code).toBe('INVALID_MODEL');
    expect(e.message).toBe('Tensor "huge" in "/models/model.onnx" has dims [65536,65536] = 4294967296 elements, more than the 2^31 npuquant handles');
  });

  it('rejects a missing data type and unsupported ones', () => {
    expect(bad({ name: 'u', dims: [1], floatData: [1] }).message).toBe('Tensor "u" in "/models/model.onnx" has no data_type (UNDEFINED)');
    const c = bad({ name: 'c', dataType: DT.COMPLEX64, dims: [1], floatData: [1, 2] });
    expect(c.code).toBe('UNSUPPORTED');
    expect(c.message).toBe('Tensor "c" in "/models/model.onnx" has data type COMPLEX64 (14), which npuquant does not handle');
    expect(bad({ name: 'f8', dataType: 17, dims: [1], rawData: new Uint8Array(1) }).message).toContain('FLOAT8E4M3FN (17)');
  });

  it('rejects segments and string raw_data', () => {
    expect(bad({ name: 's', dataType: DT.FLOAT, dims: [1], floatData: [1], segment: { begin: 0, end: 1 } }).code).toBe('UNSUPPORTED');
    expect(bad({ name: 's', dataType: DT.STRING, dims: [1], rawData: Buffer.from('x') }).message).toContain('string tensor with raw_data');
  });

  it('validates the arguments of tensorToProto', () => {
    const e = catchNpuq(() => tensorToProto('w', { dtype: 'float32' } as unknown as Tensor));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe('Expected a Tensor for tensor "w" but received an object of type Object');
  });
});

describe('external data of a TensorProto', () => {
  const dir = tmpDir();
  const data = Buffer.alloc(64);
  Float32Array.from([1, 2, 3, 4]).forEach((v, i) => data.writeFloatLE(v, 16 + i * 4));
  fs.writeFileSync(path.join(dir, 'w.bin'), data);
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub', 'tail.bin'), data.subarray(16, 32));
  const ext = (entries: Record<string, string>, dims = [2, 2]): onnx.ITensorProto => ({
    name: 'w', dataType: DT.FLOAT, dims, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: Object.entries(entries).map(([key, value]) => ({ key, value })),
  });

  it('reads location/offset/length relative to the model directory', () => {
    const t = protoToTensor(wire(ext({ location: 'w.bin', offset: '16', length: '16' })), ctxFor(dir));
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  it('reads to the end of the file when length is absent', () => {
    const t = protoToTensor(wire(ext({ location: 'sub/tail.bin' })), ctxFor(dir));
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4]);
  });

  it('rejects locations that leave the model directory', () => {
    for (const location of ['../w.bin', 'sub/../../etc/passwd', '/etc/passwd']) {
      const e = catchNpuq(() => protoToTensor(wire(ext({ location })), ctxFor(dir)));
      expect(e.code).toBe('INVALID_MODEL');
      expect(e.message).toContain(`has external data location "${location}", which points outside the model's directory`);
    }
  });

  it('rejects symbolic links that lead outside the model directory', () => {
    const outside = tmpDir();
    fs.writeFileSync(path.join(outside, 'secret.bin'), data);
    fs.symlinkSync(path.join(outside, 'secret.bin'), path.join(dir, 'link.bin'));
    const e = catchNpuq(() => protoToTensor(wire(ext({ location: 'link.bin' })), ctxFor(dir)));
    expect(e.message).toContain('points outside the model\'s directory');
  });

  it('reports a missing file, a short file and a bad offset', () => {
    const missing = catchNpuq(() => protoToTensor(wire(ext({ location: 'nope.bin' })), ctxFor(dir)));
    expect(missing.code).toBe('FILE_NOT_FOUND');
    expect(missing.message).toContain('stores its data in "nope.bin", which does not exist');
    const short = catchNpuq(() => protoToTensor(wire(ext({ location: 'w.bin', offset: '60', length: '16' })), ctxFor(dir)));
    expect(short.message).toBe(`Tensor "w" in "${path.join(dir, 'model.onnx')}" needs bytes 60..76 of "w.bin", but that file has only 64 bytes (truncated?)`);
    const off = catchNpuq(() => protoToTensor(wire(ext({ location: 'w.bin', offset: '-4' })), ctxFor(dir)));
    expect(off.message).toContain('has external_data offset = "-4"; expected a non-negative integer');
    const len = catchNpuq(() => protoToTensor(wire(ext({ location: 'w.bin', length: '8' })), ctxFor(dir)));
    expect(len.message).toContain('has 8 bytes of external data, but dims [2,2] of float32 need 16');
  });
});

describe('readTensorProtoFile', () => {
  const dir = tmpDir();

  it('reads a serialized TensorProto', () => {
    const f = path.join(dir, 'input_0.pb');
    fs.writeFileSync(f, onnx.TensorProto.encode(tensorToProto('x', SAMPLES.int64)).finish());
    const { name, tensor } = readTensorProtoFile(f);
    expect(name).toBe('x');
    expect(tensor.data).toEqual(SAMPLES.int64.data);
  });

  it('reports missing, corrupt and empty files', () => {
    expect(catchNpuq(() => readTensorProtoFile(path.join(dir, 'none.pb'))).code).toBe('FILE_NOT_FOUND');
    const f = path.join(dir, 'bad.pb');
    fs.writeFileSync(f, Buffer.from([0x0a, 0x05, 0x01]));
    const e = catchNpuq(() => readTensorProtoFile(f));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.file).toBe(f);
    expect(e.message).toMatch(/^".*bad\.pb" is not a valid serialized TensorProto \(.*\); the file may be truncated or corrupt$/);
    const empty = path.join(dir, 'empty.pb');
    fs.writeFileSync(empty, '');
    expect(catchNpuq(() => readTensorProtoFile(empty)).message).toBe(`Tensor "" in "${empty}" has no data_type (UNDEFINED)`);
    expect(catchNpuq(() => readTensorProtoFile(42 as unknown as string)).message)
      .toBe('Expected a non-empty path string for the TensorProto file but received number 42');
  });
});
