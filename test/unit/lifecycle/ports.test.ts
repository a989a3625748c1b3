import { createServer } from 'node:net';
import { assertPortsFree, findFreePort, portProblems } from '../../../src/lifecycle/ports';

describe('port checks', () => {
  it('names each taken port with what wanted it and how to move it, and every port configured twice', async () => {
    const blocker = createServer();
    const taken = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    const free = await findFreePort();
    try {
      const problems = await portProblems([
        { port: taken, component: 'the bridge metrics endpoint', envVar: 'MAINSPRING_BRIDGE_METRICS_PORT' },
        { port: free, component: 'the worker metrics endpoint', envVar: 'MAINSPRING_WORKER_METRICS_PORT' },
        { port: free, component: 'the Temporal SDK metrics endpoint', envVar: 'MAINSPRING_WORKER_SDK_METRICS_PORT' },
      ]);
      expect(problems).toEqual([
        expect.stringMatching(new RegExp(`^port ${taken} is already in use, wanted by the bridge metrics endpoint: .* set MAINSPRING_BRIDGE_METRICS_PORT=<port>\\.$`)),
        `port ${free} is configured for the worker metrics endpoint (MAINSPRING_WORKER_METRICS_PORT) and the Temporal SDK metrics endpoint (MAINSPRING_WORKER_SDK_METRICS_PORT): give each its own port.`,
      ]);
      await expect(assertPortsFree([{ port: taken, component: 'the codec server', envVar: '--port' }], 'the codec server')).rejects.toThrow(
        /nothing was started: the codec server needs a port that is not free\.\n {2}✘ port \d+ is already in use, wanted by the codec server: .* use --port <port>\./,
      );
      await expect(assertPortsFree([{ port: free, component: 'x', envVar: 'X' }])).resolves.toBeUndefined();
    } finally {
      blocker.close();
    }
  });
  it('finds a free port below a limit (PostgreSQL stores the Temporal server\'s membership ports as smallint)', async () => {
    for (let i = 0; i < 5; i++) {
      const port = await findFreePort({ below: 32_768 });
      expect(port).toBeLessThan(32_768);
      expect(port).toBeGreaterThan(0);
    }
  });
});
