// Three projects, one command: pure logic (unit), workflow logic on the time-skipping test server (workflows),
// and the real stack (integration). `npm test` runs all of them; --selectProjects picks one.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };
// The CLI loads bench and chaos code with `await import('….js')` (node16 resolution wants the extension): map it to the .ts.
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
// node-environment.js shares Node's typed-array constructors with the sandbox (onnxruntime-node checks instanceof).
const common = { testEnvironment: '<rootDir>/test/helpers/node-environment.js', transform, moduleNameMapper, moduleFileExtensions: ['ts', 'js', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
  // Most suites wait on the stack (Temporal, Kafka, PostgreSQL), not on CPU: two at a time took npm test on the
  // 2-core machine from ~400 s to ~210 s (jest would run one, cores − 1). Three saved another minute but put the
  // shared stack and timing-sensitive suites under more load than the time was worth.
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'workflows',
      testMatch: ['<rootDir>/test/workflows/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/helpers/quiet-temporal.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/helpers/long-timeout.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/helpers/quiet-temporal.ts'],
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/helpers/long-timeout.ts'],
    },
  ],
};
