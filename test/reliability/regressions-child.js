#!/usr/bin/env node
// Models that once crashed the process or ended in an error without a code, rebuilt explicitly
// (so they keep their meaning when the mutators change). Run in a child process under an
// address-space limit by fuzz.reliability.ts; prints one JSON line { name: outcome }, where an
// outcome is "ok", an error code, or "FAILURE: ..." for an error without a code.
'use strict';
const path = require('path');
const { onnx } = require('onnx-proto');
const { model, node, init, vi } = require('./zoo');

const nq = require(path.join(__dirname, '..', '..', 'dist', 'index.js'));
const T = onnx.TensorProto.DataType;

const CASES = {
  // The engine read a 9th QLinearMatMul input as a bias that was never checked: segfault.
  'QLinearMatMul with a 9th input': {
    bytes: model([
      node('QLinearMatMul', ['a', 's', 'z', 'b', 's', 'z', 's', 'z', 'x'], ['y']),
    ], [
      init('s', T.FLOAT, [], [0.1]), init('z', T.UINT8, [], [128]), init('b', T.UINT8, [4, 3], Array(12).fill(130)),
    ], [vi('a', T.UINT8, [2, 4]), vi('x', T.UINT8, [2, 4])], [vi('y', T.UINT8, [])]),
    feeds: { a: new nq.Tensor('uint8', [2, 4], new Uint8Array(8).fill(140)), x: new nq.Tensor('uint8', [2, 4], new Uint8Array(8)) },
  },
  // lib/passes/fold-conv-affine.ts convParams: new Float64Array(negative) -> RangeError without a code.
  'ConvTranspose with group -2 followed by Add': {
    bytes: model([
      node('ConvTranspose', ['x', 'w'], ['c'], { group: -2, kernel_shape: [2, 2] }),
      node('Add', ['c', 'k'], ['y']),
    ], [
      init('w', T.FLOAT, [1, 1, 2, 2], [1, 2, 3, 4]), init('k', T.FLOAT, [1], [1]),
    ], [vi('x', T.FLOAT, [1, 1, 3, 3])], [vi('y', T.FLOAT, [])]),
    feeds: { x: new nq.Tensor('float32', [1, 1, 3, 3], new Float32Array(9)) },
  },
  // 1.2 GB of output under a 4 GB address-space limit: V8's ArrayBuffer allocation in OnOK failed
  // and aborted the process ("FATAL ERROR: v8::ArrayBuffer::New Allocation failed").
  'Expand to 1.2 GB under the address-space limit': {
    bytes: model([node('Expand', ['x', 's'], ['y'])], [init('s', T.INT64, [2], [300000, 1024])],
      [vi('x', T.FLOAT, [1, 1024])], [vi('y', T.FLOAT, [])]),
    feeds: { x: new nq.Tensor('float32', [1, 1024], new Float32Array(1024)) },
  },
  // The same, 8 GB: the engine's own allocation fails and the run rejects with a code.
  'Expand to 8 GB under the address-space limit': {
    bytes: model([node('Expand', ['x', 's'], ['y'])], [init('s', T.INT64, [2], [2000000, 1024])],
      [vi('x', T.FLOAT, [1, 1024])], [vi('y', T.FLOAT, [])]),
    feeds: { x: new nq.Tensor('float32', [1, 1024], new Float32Array(1024)) },
  },
};

async function main() {
  const out = {};
  for (const [name, c] of Object.entries(CASES)) {
    try {
      const s = await nq.Session.create(nq.loadModelSync(c.bytes, { name }), { threads: 1 });
      try {
        await s.run(c.feeds);
      } finally {
        s.dispose();
      }
      out[name] = 'ok';
    } catch (e) {
      out[name] = e && typeof e.code === 'string' ? e.code : `FAILURE: ${e && e.name}: ${e && e.message}`;
    }
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
