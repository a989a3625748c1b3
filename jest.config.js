// Three projects, one command: pure logic (unit), workflow logic on the time-skipping test server (workflows),
// and the real stack (integration). `npm test` runs all of them; --selectProjects picks one.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };
// node-environment.js shares Node's typed-array constructors with the sandbox (onnxruntime-node checks instanceof).
const common = { testEnvironment: '<rootDir>/test/helpers/node-environment.js', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
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
