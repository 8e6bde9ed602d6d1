/**
 * Jest project of the reliability suite (npm run test:reliability): fuzzing of ONNX files, tensor
 * protos, the N-API surface and native plans, create/dispose cycles and an event-loop heartbeat.
 * Its files end in .reliability.ts so that the default "npm test" does not pick them up. Counts
 * come from the environment (see README, "Reliability suite").
 */
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '../..',
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/reliability'],
  testMatch: ['**/*.reliability.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json', diagnostics: { warnOnly: false } }] },
  testTimeout: 600000,
  // One file at a time: the fuzz children use both cores, and the heartbeat must not compete with them.
  maxWorkers: 1,
};
