// Per-project test timeouts: jest only honours `testTimeout` globally, so the slow projects set theirs here.
jest.setTimeout(Number(process.env.MAINSPRING_TEST_TIMEOUT_MS ?? 180_000));
