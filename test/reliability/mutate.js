// Mutations of serialized ONNX models and TensorProtos for the reliability fuzzer. Structural
// mutations decode the protobuf (onnx-proto), change one field on purpose (dims, data types, raw
// data lengths, int64 constants, attributes, node wiring, op types, opsets, value infos) and
// encode it again; byte mutations flip bits, truncate, insert and delete. Every choice comes from
// the given PRNG, so (seed, case index) reproduces a case exactly.
'use strict';
const { onnx } = require('onnx-proto');

/** mulberry32: a small deterministic PRNG returning [0, 1). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const int = (r, n) => Math.floor(r() * n);
const pick = (r, arr) => arr[int(r, arr.length)];

// int64 values that break arithmetic: as decimal strings (protobufjs accepts them for int64 fields).
const BAD_INT64 = ['0', '1', '2', '3', '7', '64', '255', '65536', '2147483647', '2147483648', '4294967296', '1099511627776',
  '9007199254740993', '4611686018427387904', '9223372036854775807', '-1', '-2', '-3', '-2147483648', '-9223372036854775808'];
const BAD_SMALL = [0, 1, 2, 3, -1, -2, -100, 100, 1000, 65536, 2147483647, -2147483648];
const BAD_FLOAT = [NaN, Infinity, -Infinity, 0, -0, 1e-45, 3.4e38, -1, 1e9, 0.5];
const OPS = ['Conv', 'Gemm', 'MatMul', 'Relu', 'Add', 'Reshape', 'Gather', 'Slice', 'Pad', 'Resize', 'MaxPool', 'Concat', 'Split',
  'Transpose', 'Softmax', 'Expand', 'Tile', 'Flatten', 'QLinearConv', 'QuantizeLinear', 'ConvTranspose', 'Bogus', 'LSTM'];
const ATTRS = ['group', 'axis', 'kernel_shape', 'strides', 'pads', 'dilations', 'perm', 'mode', 'transA', 'transB', 'keepdims',
  'axes', 'auto_pad', 'output_padding', 'output_shape', 'ceil_mode', 'count_include_pad', 'alpha', 'epsilon', 'coordinate_transformation_mode'];

function int64Values(t) {
  if (t.rawData && t.rawData.length) {
    const b = Buffer.from(t.rawData);
    return { count: Math.floor(b.length / 8), set: (i, v) => { b.writeBigInt64LE(BigInt(v), i * 8); t.rawData = b; } };
  }
  return { count: t.int64Data.length, set: (i, v) => { t.int64Data[i] = v; } };
}

const KIND_WEIGHTS = [0, 1, 2, 3, 3, 3, 3, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/** One structural change of a decoded ModelProto; returns its description. */
function mutateModel(m, r) {
  const g = m.graph;
  const inits = g.initializer;
  const nodes = g.node;
  const names = [...new Set([...nodes.flatMap((n) => [...n.input, ...n.output]), ...inits.map((t) => t.name), ...g.input.map((v) => v.name)])];
  // Weighted: int64 constants, attributes and input shapes steer the engine's memory access.
  const kind = pick(r, KIND_WEIGHTS);
  switch (kind) {
    case 0: {  // initializer dims
      if (!inits.length) return 'noop';
      const t = pick(r, inits);
      const how = int(r, 3);
      if (how === 0 && t.dims.length) t.dims[int(r, t.dims.length)] = pick(r, BAD_INT64);
      else if (how === 1) t.dims.push(pick(r, BAD_INT64));
      else t.dims.pop();
      return `initializer ${t.name} dims -> [${t.dims.join(',')}]`;
    }
    case 1: {  // initializer data type
      if (!inits.length) return 'noop';
      const t = pick(r, inits);
      t.dataType = pick(r, [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 21, 22, 23, 99, -1]);
      return `initializer ${t.name} dataType -> ${t.dataType}`;
    }
    case 2: {  // raw data length, or data moved to a typed field of another length
      if (!inits.length) return 'noop';
      const t = pick(r, inits);
      const raw = Buffer.from(t.rawData || []);
      const how = int(r, 4);
      if (how === 0) t.rawData = raw.subarray(0, int(r, raw.length + 1));
      else if (how === 1) t.rawData = Buffer.concat([raw, Buffer.alloc(1 + int(r, 64), 7)]);
      else if (how === 2) { t.rawData = Buffer.alloc(0); t.floatData = Array.from({ length: int(r, 20) }, () => r()); }
      else { t.rawData = Buffer.alloc(0); t.int64Data = Array.from({ length: int(r, 20) }, () => pick(r, BAD_INT64)); }
      return `initializer ${t.name} data changed (${how})`;
    }
    case 3: {  // int64 constant values (shapes, pads, starts, indices, axes)
      const ints = inits.filter((t) => t.dataType === onnx.TensorProto.DataType.INT64);
      if (!ints.length) return 'noop';
      const t = pick(r, ints);
      const v = int64Values(t);
      if (!v.count) return 'noop';
      const i = int(r, v.count);
      const val = pick(r, BAD_INT64);
      v.set(i, val);
      return `int64 initializer ${t.name}[${i}] -> ${val}`;
    }
    case 4: {  // float constant values
      const fl = inits.filter((t) => t.dataType === onnx.TensorProto.DataType.FLOAT && t.rawData && t.rawData.length >= 4);
      if (!fl.length) return 'noop';
      const t = pick(r, fl);
      const b = Buffer.from(t.rawData);
      const i = int(r, Math.floor(b.length / 4));
      const val = pick(r, BAD_FLOAT);
      b.writeFloatLE(val, i * 4);
      t.rawData = b;
      return `float initializer ${t.name}[${i}] -> ${val}`;
    }
    case 5: {  // graph input shape and type
      const v = pick(r, g.input);
      const tt = v.type && v.type.tensorType;
      if (!tt) return 'noop';
      const how = int(r, 4);
      if (how === 0 && tt.shape && tt.shape.dim.length) tt.shape.dim[int(r, tt.shape.dim.length)] = { dimValue: pick(r, BAD_INT64) };
      else if (how === 1) tt.elemType = pick(r, [0, 2, 7, 8, 9, 10, 11, 14, 16, 99]);
      else if (how === 2 && tt.shape) tt.shape.dim.push({ dimValue: pick(r, BAD_INT64) });
      else tt.shape = null;
      return `graph input ${v.name} type changed (${how})`;
    }
    case 6: case 7: {  // node attributes: values, types, removal, bogus additions
      if (!nodes.length) return 'noop';
      const n = pick(r, nodes);
      const how = int(r, 5);
      const A = onnx.AttributeProto.AttributeType;
      if (how === 0 && n.attribute.length) {
        const a = pick(r, n.attribute);
        if (a.ints && a.ints.length) a.ints[int(r, a.ints.length)] = pick(r, BAD_SMALL);
        else if (a.type === A.INT) a.i = pick(r, BAD_INT64);
        else if (a.type === A.FLOAT) a.f = pick(r, BAD_FLOAT);
        else if (a.type === A.STRING) a.s = Buffer.from(pick(r, ['', 'bogus', 'cubic', 'reflect', 'SAME_UPPER', 'VALID']));
        return `${n.name}.${a.name} value changed`;
      }
      if (how === 1 && n.attribute.length) {
        const a = pick(r, n.attribute);
        a.type = pick(r, [0, 1, 2, 3, 4, 6, 7, 8, 99]);
        return `${n.name}.${a.name} type -> ${a.type}`;
      }
      if (how === 2 && n.attribute.length) {
        const a = n.attribute.splice(int(r, n.attribute.length), 1)[0];
        return `${n.name}.${a.name} removed`;
      }
      const name = pick(r, ATTRS);
      const list = int(r, 2) === 0;
      n.attribute = n.attribute.filter((a) => a.name !== name);
      n.attribute.push(list
        ? { name, type: A.INTS, ints: Array.from({ length: int(r, 9) }, () => pick(r, BAD_SMALL)) }
        : { name, type: A.INT, i: pick(r, BAD_SMALL) });
      return `${n.name}.${name} added`;
    }
    case 8: {  // node inputs
      if (!nodes.length) return 'noop';
      const n = pick(r, nodes);
      const how = int(r, 4);
      if (how === 0 && n.input.length) n.input[int(r, n.input.length)] = pick(r, [...names, '', 'nonexistent', n.output[0]]);
      else if (how === 1 && n.input.length) n.input.pop();
      else if (how === 2) n.input.push(pick(r, names));
      else n.input.reverse();
      return `${n.name} inputs -> ${n.input.join(',')}`;
    }
    case 9: {  // node outputs: duplicates, empty names
      if (!nodes.length) return 'noop';
      const n = pick(r, nodes);
      n.output[int(r, n.output.length)] = pick(r, [...names, '']);
      return `${n.name} outputs -> ${n.output.join(',')}`;
    }
    case 10: {  // op type or domain
      if (!nodes.length) return 'noop';
      const n = pick(r, nodes);
      if (int(r, 4) === 0) n.domain = pick(r, ['com.microsoft', 'ai.onnx.ml', 'bogus']);
      else n.opType = pick(r, OPS);
      return `${n.name} op -> ${n.domain || ''}${n.opType}`;
    }
    case 11: {  // opset
      const v = pick(r, ['0', '1', '6', '7', '9', '11', '13', '17', '21', '99', '2147483648', '-1']);
      if (m.opsetImport.length) m.opsetImport[0].version = v;
      return `opset -> ${v}`;
    }
    case 12: {  // node order and duplicates
      if (nodes.length < 2) return 'noop';
      const i = int(r, nodes.length), j = int(r, nodes.length);
      if (int(r, 2)) [nodes[i], nodes[j]] = [nodes[j], nodes[i]];
      else nodes.push(onnx.NodeProto.create(nodes[i]));
      return `nodes ${i},${j} reordered or duplicated`;
    }
    case 13: {  // initializers removed or duplicated
      if (!inits.length) return 'noop';
      const i = int(r, inits.length);
      if (int(r, 2)) inits.splice(i, 1);
      else inits.push(onnx.TensorProto.create({ ...inits[i], dims: [1] }));
      return `initializer ${i} removed or duplicated`;
    }
    case 14: {  // graph outputs
      const o = pick(r, g.output);
      o.name = pick(r, [...names, 'nonexistent', '']);
      return `graph output -> ${o.name}`;
    }
    default: {  // value_info with a conflicting shape
      const name = pick(r, names);
      g.valueInfo.push({ name, type: { tensorType: { elemType: pick(r, [1, 7, 10]), shape: { dim: [{ dimValue: pick(r, BAD_INT64) }] } } } });
      return `value_info ${name} added`;
    }
  }
}

/** Byte-level damage: bit flips, truncation, insertion, deletion. */
function mutateBytes(bytes, r) {
  const b = Buffer.from(bytes);
  const how = int(r, 4);
  if (how === 0) {
    const flips = 1 + int(r, 8);
    for (let k = 0; k < flips; k++) {
      // Half of the flips land in the first 4 KiB (graph structure, small initializers).
      const i = int(r, 2) ? int(r, Math.min(b.length, 4096)) : int(r, b.length);
      b[i] ^= 1 << int(r, 8);
    }
    return { bytes: b, what: `${flips} bit flips` };
  }
  if (how === 1) {
    const n = int(r, b.length);
    return { bytes: b.subarray(0, n), what: `truncated to ${n} bytes` };
  }
  const at = int(r, b.length);
  const len = 1 + int(r, 16);
  if (how === 2) {
    const ins = Buffer.alloc(len);
    for (let k = 0; k < len; k++) ins[k] = int(r, 256);
    return { bytes: Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]), what: `${len} bytes inserted at ${at}` };
  }
  return { bytes: Buffer.concat([b.subarray(0, at), b.subarray(at + len)]), what: `${len} bytes deleted at ${at}` };
}

/** A mutated model: 1-2 structural changes, sometimes followed by byte damage, or byte damage only. */
function mutateOnnx(seedBytes, r) {
  const what = [];
  let bytes = seedBytes;
  if (int(r, 6) !== 0) {
    const m = onnx.ModelProto.decode(seedBytes);
    const k = 1 + int(r, 2);
    for (let i = 0; i < k; i++) what.push(mutateModel(m, r));
    bytes = Buffer.from(onnx.ModelProto.encode(m).finish());
    if (int(r, 10) === 0) {
      const d = mutateBytes(bytes, r);
      bytes = d.bytes;
      what.push(d.what);
    }
  } else {
    const d = mutateBytes(bytes, r);
    bytes = d.bytes;
    what.push(d.what);
  }
  return { bytes, what: what.join('; ') };
}

/** A mutated serialized TensorProto, from a valid one of a random type and shape. */
function mutateTensorProto(r) {
  const DT = onnx.TensorProto.DataType;
  const dtype = pick(r, [DT.FLOAT, DT.INT64, DT.INT32, DT.UINT8, DT.INT8, DT.FLOAT16, DT.DOUBLE, DT.BOOL, DT.STRING, DT.UINT64]);
  const dims = Array.from({ length: int(r, 4) }, () => 1 + int(r, 5));
  const n = dims.reduce((a, b) => a * b, 1);
  const size = { [DT.FLOAT]: 4, [DT.INT64]: 8, [DT.INT32]: 4, [DT.UINT8]: 1, [DT.INT8]: 1, [DT.FLOAT16]: 2, [DT.DOUBLE]: 8, [DT.BOOL]: 1, [DT.UINT64]: 8 }[dtype];
  const t = { name: 't', dataType: dtype, dims };
  if (dtype === DT.STRING) t.stringData = Array.from({ length: n }, (_, i) => Buffer.from(`s${i}`));
  else t.rawData = Buffer.alloc(n * size, 1);
  const what = [];
  const k = 1 + int(r, 3);
  for (let i = 0; i < k; i++) {
    const how = int(r, 8);
    if (how === 0 && t.dims.length) { t.dims[int(r, t.dims.length)] = pick(r, BAD_INT64); what.push(`dims -> [${t.dims.join(',')}]`); }
    else if (how === 1) { t.dims.push(pick(r, BAD_INT64)); what.push(`dims -> [${t.dims.join(',')}]`); }
    else if (how === 2) { t.dataType = pick(r, [0, 5, 8, 14, 15, 16, 17, 21, 22, 23, 24, 99, -1]); what.push(`dataType -> ${t.dataType}`); }
    else if (how === 3 && t.rawData) { t.rawData = t.rawData.subarray(0, int(r, t.rawData.length + 1)); what.push(`rawData cut to ${t.rawData.length}`); }
    else if (how === 4) { t.rawData = Buffer.alloc(0); t.floatData = Array.from({ length: int(r, 2 * n + 2) }, () => r()); what.push('floatData'); }
    else if (how === 5) { t.rawData = Buffer.alloc(0); t.int32Data = Array.from({ length: int(r, 2 * n + 2) }, () => pick(r, BAD_SMALL)); what.push('int32Data'); }
    else if (how === 6) {
      t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
      t.externalData = [
        { key: 'location', value: pick(r, ['missing.bin', '../../../etc/passwd', '/etc/hostname', '', 'data.bin']) },
        { key: pick(r, ['offset', 'length', 'checksum', 'bogus']), value: pick(r, BAD_INT64) },
      ];
      what.push(`external data ${t.externalData.map((e) => `${e.key}=${e.value}`).join(',')}`);
    } else { t.segment = { begin: pick(r, BAD_INT64), end: pick(r, BAD_INT64) }; what.push('segment'); }
  }
  let bytes = Buffer.from(onnx.TensorProto.encode(onnx.TensorProto.create(t)).finish());
  if (int(r, 4) === 0) {
    const d = mutateBytes(bytes, r);
    bytes = d.bytes;
    what.push(d.what);
  }
  return { bytes, what: what.join('; ') };
}

module.exports = { rng, int, pick, mutateOnnx, mutateTensorProto, mutateBytes, BAD_INT64, BAD_SMALL, BAD_FLOAT };
