// Every port a command listens on is checked before it starts anything: with one of them taken, the built CLI exits
// non-zero within seconds, naming the port, what wanted it and the variable that moves it — and nothing runs.
// (Before: `npm start` with the bridge's metrics port taken brought the stack up, trained a model, then failed.)
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/config/project-root';
import { findFreePort, isPortFree } from '../../src/lifecycle/ports';
import { testStackEnv } from '../helpers/stack-env';

const cli = join(projectRoot(), 'bin', 'mainspring');

interface Outcome {
  code: number | null;
  stderr: string;
  ms: number;
}

/** The CLI as a person runs it; a command that does start (the check missed the port) is killed at the bound. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env, timeout: 60_000, killSignal: 'SIGKILL' }, (err, _stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stderr, ms: Date.now() - started });
    });
  });
}

async function hold(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

function expectRefused(outcome: Outcome, port: number, variable: string, component: string): void {
  expect(outcome.code).toBe(1);
  expect(outcome.ms).toBeLessThan(30_000);
  expect(outcome.stderr).toContain('nothing was started');
  expect(outcome.stderr).toContain(`port ${port} is already in use, wanted by ${component}`);
  expect(outcome.stderr).toContain(variable);
  expect(outcome.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
}

describe('ports checked before anything starts (CLI)', () => {
  describe('mainspring start with a local stack of its own', () => {
    // An isolated home and ports: the developer's stack (.mainspring/, 7233, 9092, …) is never touched.
    const home = mkdtempSync(join(tmpdir(), 'ms-ports-'));
    const ports: Record<string, number> = {};
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      for (const name of ['MAINSPRING_TEMPORAL_PORT', 'MAINSPRING_TEMPORAL_UI_PORT', 'MAINSPRING_KAFKA_PORT', 'MAINSPRING_KAFKA_CONTROLLER_PORT', 'MAINSPRING_POSTGRES_PORT', 'MAINSPRING_WORKER_METRICS_PORT', 'MAINSPRING_BRIDGE_METRICS_PORT', 'MAINSPRING_WORKER_SDK_METRICS_PORT']) {
        ports[name] = await findFreePort();
      }
      env = {
        ...process.env,
        TEMPORAL_ADDRESS: '',
        KAFKA_BROKERS: '',
        DATABASE_URL: '',
        MAINSPRING_HOME: home,
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      };
    });

    afterAll(async () => {
      // Only matters if a check missed a port and something did start: leave nothing behind.
      if (existsSync(join(home, 'run')) && readdirSync(join(home, 'run')).length > 0) await runCli(['stack', 'down', '--wipe'], env);
      rmSync(home, { recursive: true, force: true });
    });

    it.each([
      ['MAINSPRING_TEMPORAL_PORT', 'Temporal (gRPC)'],
      ['MAINSPRING_TEMPORAL_UI_PORT', 'the Temporal UI'],
      ['MAINSPRING_KAFKA_PORT', 'Kafka'],
      ['MAINSPRING_KAFKA_CONTROLLER_PORT', 'the Kafka controller'],
      ['MAINSPRING_POSTGRES_PORT', 'PostgreSQL'],
      ['MAINSPRING_WORKER_METRICS_PORT', 'the worker metrics endpoint'],
      ['MAINSPRING_BRIDGE_METRICS_PORT', 'the bridge metrics endpoint'],
      ['MAINSPRING_WORKER_SDK_METRICS_PORT', 'the Temporal SDK metrics endpoint'],
    ])('%s taken: exits 1 naming it, starts nothing', async (variable, component) => {
      const port = ports[variable]!;
      const blocker = await hold(port);
      try {
        const outcome = await runCli(['start', '--duration', '1', '--auto-approve'], env);
        expectRefused(outcome, port, `${variable}=<port>`, component);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
      // Nothing started: no stack process recorded, and every other port still free.
      expect(existsSync(join(home, 'run')) ? readdirSync(join(home, 'run')) : []).toEqual([]);
      for (const [other, p] of Object.entries(ports)) if (other !== variable) expect([other, await isPortFree(p)]).toEqual([other, true]);
    });

    it('names every taken port at once', async () => {
      const taken = [ports.MAINSPRING_KAFKA_PORT!, ports.MAINSPRING_BRIDGE_METRICS_PORT!];
      const blockers = await Promise.all(taken.map(hold));
      try {
        const outcome = await runCli(['start', '--duration', '1', '--auto-approve'], env);
        expect(outcome.code).toBe(1);
        for (const port of taken) expect(outcome.stderr).toContain(`port ${port} is already in use`);
      } finally {
        await Promise.all(blockers.map((b) => new Promise((resolve) => b.close(resolve))));
      }
    });
  });

  describe('process commands against the test stack', () => {
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      const stack = testStackEnv();
      env = {
        ...process.env,
        TEMPORAL_ADDRESS: stack.temporalAddress,
        TEMPORAL_NAMESPACE: stack.temporalNamespace,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        DATABASE_URL: stack.databaseUrl,
        MAINSPRING_BRIDGE_METRICS_PORT: String(await findFreePort()),
        MAINSPRING_WORKER_METRICS_PORT: String(await findFreePort()),
        MAINSPRING_WORKER_SDK_METRICS_PORT: String(await findFreePort()),
      };
    });

    it.each([
      ['run', 'MAINSPRING_WORKER_METRICS_PORT', 'the worker metrics endpoint'],
      ['run', 'MAINSPRING_BRIDGE_METRICS_PORT', 'the bridge metrics endpoint'],
      ['run', 'MAINSPRING_WORKER_SDK_METRICS_PORT', 'the Temporal SDK metrics endpoint'],
      ['worker', 'MAINSPRING_WORKER_SDK_METRICS_PORT', 'the Temporal SDK metrics endpoint'],
      ['bridge', 'MAINSPRING_BRIDGE_METRICS_PORT', 'the bridge metrics endpoint'],
    ])('mainspring %s with %s taken: exits 1 naming it', async (command, variable, component) => {
      const port = Number(env[variable]);
      const blocker = await hold(port);
      try {
        expectRefused(await runCli([command], env), port, `${variable}=<port>`, component);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });

    it('two endpoints configured on one port are refused before either listens', async () => {
      const outcome = await runCli(['run'], { ...env, MAINSPRING_WORKER_SDK_METRICS_PORT: env.MAINSPRING_BRIDGE_METRICS_PORT });
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain(`port ${env.MAINSPRING_BRIDGE_METRICS_PORT} is configured for`);
    });

    it('mainspring codec-server with its port taken: exits 1 naming it and --port', async () => {
      const port = await findFreePort();
      const blocker = await hold(port);
      try {
        const outcome = await runCli(['codec-server', '--port', String(port)], { ...env, MAINSPRING_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` });
        expectRefused(outcome, port, '--port <port>', 'the codec server');
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    });
  });
});
