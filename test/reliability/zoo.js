// Seed models of the ONNX fuzzer: the bundled digits CNN plus small hand-built graphs that use the
// operators whose attributes and constant inputs steer memory access (Pad, Slice, Gather, Resize,
// Reshape, Expand, Tile, Split, Conv groups and dilations, pooling windows, quantization). Each
// entry is { name, bytes, feeds } where feeds gives the shape and dtype of every graph input.
'use strict';
const fs = require('fs');
const path = require('path');
const { onnx } = require('onnx-proto');

const ROOT = path.join(__dirname, '..', '..');
const T = onnx.TensorProto.DataType;

function vi(name, elemType, dims) {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

function rawOf(dtype, values) {
  switch (dtype) {
    case T.FLOAT: return Buffer.from(Float32Array.from(values).buffer);
    case T.INT64: return Buffer.from(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    case T.INT32: return Buffer.from(Int32Array.from(values).buffer);
    case T.UINT8: return Buffer.from(Uint8Array.from(values).buffer);
    case T.INT8: return Buffer.from(Int8Array.from(values).buffer);
    default: throw new Error(`zoo: dtype ${dtype}`);
  }
}

function init(name, dtype, dims, values) {
  return { name, dataType: dtype, dims, rawData: rawOf(dtype, values) };
}

function attr(name, v) {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: Buffer.from(v) };
  if (Array.isArray(v)) return Number.isInteger(v[0]) ? { name, type: A.INTS, ints: v } : { name, type: A.FLOATS, floats: v };
  return Number.isInteger(v) ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
}

function node(opType, inputs, outputs, attrs = {}) {
  return { opType, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) };
}

function seq(n, f = (i) => i) {
  return Array.from({ length: n }, (_, i) => f(i));
}

function model(nodes, inits, inputs, outputs, opset = 13) {
  const m = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'npuquant-reliability',
    graph: { name: 'zoo', node: nodes, initializer: inits, input: inputs, output: outputs },
  };
  return Buffer.from(onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish());
}

function zoo() {
  const F = T.FLOAT, I64 = T.INT64;
  const out = [];
  out.push({
    name: 'digits_cnn',
    bytes: fs.readFileSync(path.join(ROOT, 'examples', 'digits', 'digits_cnn.onnx')),
    feeds: [{ name: 'input', dtype: 'float32', shape: [1, 1, 20, 20] }],
  });
  out.push({
    name: 'movement',
    bytes: model([
      node('Pad', ['x', 'pads'], ['p'], { mode: 'constant' }),
      node('Slice', ['p', 'starts', 'ends', 'axes', 'steps'], ['s']),
      node('Transpose', ['s'], ['t'], { perm: [0, 2, 3, 1] }),
      node('Reshape', ['t', 'shape'], ['r']),
      node('Gather', ['r', 'gidx'], ['g'], { axis: 1 }),
      node('Softmax', ['g'], ['y'], { axis: -1 }),
      node('Expand', ['x', 'eshape'], ['e']),
      node('Tile', ['e', 'reps'], ['ti']),
      node('Split', ['ti', 'split'], ['sp0', 'sp1'], { axis: 1 }),
      node('Concat', ['sp1', 'sp0'], ['y2'], { axis: 1 }),
    ], [
      init('pads', I64, [8], [0, 0, 1, 2, 0, 0, 1, 0]),
      init('starts', I64, [2], [1, 0]), init('ends', I64, [2], [9, 100]), init('axes', I64, [2], [2, 3]), init('steps', I64, [2], [2, 1]),
      init('shape', I64, [2], [1, -1]),
      init('gidx', I64, [3], [0, 5, -1]),
      init('eshape', I64, [4], [2, 1, 1, 1]), init('reps', I64, [4], [1, 2, 1, 1]), init('split', I64, [2], [2, 4]),
    ], [vi('x', F, [1, 3, 8, 8])], [vi('y', F, []), vi('y2', F, [])]),
    feeds: [{ name: 'x', dtype: 'float32', shape: [1, 3, 8, 8] }],
  });
  out.push({
    name: 'conv-pool-resize',
    bytes: model([
      node('Conv', ['x', 'w', 'b'], ['c'], { group: 4, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [2, 2] }),
      node('ConvTranspose', ['c', 'wt'], ['ct'], { strides: [2, 2], kernel_shape: [2, 2] }),
      node('Resize', ['ct', '', 'scales'], ['rs'], { mode: 'linear' }),
      node('MaxPool', ['rs'], ['mp'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
      node('AveragePool', ['mp'], ['ap'], { kernel_shape: [2, 2], strides: [1, 1], count_include_pad: 1 }),
      node('GlobalAveragePool', ['ap'], ['gp']),
      node('Flatten', ['gp'], ['fl'], { axis: 1 }),
      node('Gemm', ['fl', 'gw', 'gb'], ['y'], { transB: 1 }),
    ], [
      init('w', F, [4, 1, 3, 3], seq(36, (i) => (i % 7) / 7 - 0.4)), init('b', F, [4], [0.1, -0.2, 0.3, 0]),
      init('wt', F, [4, 2, 2, 2], seq(32, (i) => (i % 5) / 5 - 0.5)),
      init('scales', F, [4], [1, 1, 1.5, 2]),
      init('gw', F, [3, 2], [1, 2, 3, 4, 5, 6]), init('gb', F, [3], [0, 1, 2]),
    ], [vi('x', F, ['N', 4, 6, 6])], [vi('y', F, [])]),
    feeds: [{ name: 'x', dtype: 'float32', shape: [2, 4, 6, 6] }],
  });
  out.push({
    name: 'gather-runtime-indices',
    bytes: model([
      node('Gather', ['x', 'idx'], ['g'], { axis: 0 }),
      node('ReduceMean', ['g'], ['y'], { axes: [1], keepdims: 0 }),
      node('Where', ['cond', 'x', 'zero'], ['w']),
      node('LayerNormalization', ['w', 'ls', 'lb'], ['y2'], { axis: -1, epsilon: 1e-5 }),
    ], [
      init('zero', F, [1], [0]), init('ls', F, [4], [1, 1, 2, 2]), init('lb', F, [4], [0, 0, 0, 1]),
    ], [vi('x', F, [5, 4]), vi('idx', I64, [3]), vi('cond', T.BOOL, [5, 4])], [vi('y', F, []), vi('y2', F, [])]),
    feeds: [
      { name: 'x', dtype: 'float32', shape: [5, 4] },
      { name: 'idx', dtype: 'int64', shape: [3], indexRange: 5 },
      { name: 'cond', dtype: 'bool', shape: [5, 4] },
    ],
  });
  out.push({
    name: 'quantized',
    bytes: model([
      node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq']),
      node('QLinearMatMul', ['xq', 'xs', 'xz', 'wq', 'ws', 'wz', 'ys', 'yz'], ['yq']),
      node('DequantizeLinear', ['yq', 'ys', 'yz'], ['y']),
      node('QLinearConv', ['cq', 'xs', 'xz', 'cw', 'ws', 'wz', 'ys', 'yz'], ['c'], { kernel_shape: [2, 2], strides: [1, 1] }),
    ], [
      init('xs', F, [], [0.05]), init('xz', T.UINT8, [], [128]),
      init('wq', T.UINT8, [4, 3], seq(12, (i) => 100 + 9 * i)), init('ws', F, [], [0.02]), init('wz', T.UINT8, [], [120]),
      init('ys', F, [], [0.1]), init('yz', T.UINT8, [], [130]),
      init('cw', T.UINT8, [2, 1, 2, 2], seq(8, (i) => 110 + 5 * i)),
    ], [vi('x', F, [2, 4]), vi('cq', T.UINT8, [1, 1, 4, 4])], [vi('y', F, []), vi('c', T.UINT8, [])]),
    feeds: [{ name: 'x', dtype: 'float32', shape: [2, 4] }, { name: 'cq', dtype: 'uint8', shape: [1, 1, 4, 4] }],
  });
  return out;
}

module.exports = { zoo, model, node, init, vi, attr };
