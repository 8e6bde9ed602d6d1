/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  // Shares the outer realm's typed-array constructors with each test file, since native addons
  // (ours and onnxruntime-node) create typed arrays in the outer realm.
  testEnvironment: '<rootDir>/test/ort-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json', diagnostics: { warnOnly: false } }] },
  testTimeout: 120000,
};
