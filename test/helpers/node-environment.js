// Jest environment for tests that run onnxruntime-node. The native binding returns typed arrays created in Node's
// own realm, while onnxruntime-common, loaded inside Jest's sandbox, checks them with `instanceof` against the
// sandbox's constructors and throws "A float32 tensor's data must be type of function Float32Array()". Jest already
// shares Uint8Array/ArrayBuffer with the sandbox for the same reason; this shares the remaining typed arrays.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Uint16Array',
  'Uint32Array',
  'Uint8ClampedArray',
  'BigInt64Array',
  'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
