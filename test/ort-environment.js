/**
 * Jest environment for tests that call onnxruntime-node. Jest runs each test file in its own V8
 * realm, but onnxruntime-node's native code creates typed arrays in the outer realm, so its own
 * `instanceof Float32Array` checks fail inside the sandbox ("A float32 tensor's data must be type
 * of function Float32Array()"). Sharing the outer realm's typed-array constructors fixes that.
 * Use with the docblock `@jest-environment ./test/ort-environment.js`.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Float32Array', 'Float64Array', 'Int8Array', 'Uint8Array',
  'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
