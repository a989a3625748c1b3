import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/config/project-root';
import { findFreePort } from '../../src/lifecycle/ports';

const cli = join(projectRoot(), 'bin', 'mainspring');

describe('mainspring stack (CLI)', () => {
  it('refuses to start when the Kafka port is taken, names the port and the variable, and starts nothing', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ms-cli-'));
    const blocker: Server = createServer();
    const kafkaPort = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: '',
      KAFKA_BROKERS: '',
      DATABASE_URL: '',
      MAINSPRING_HOME: home,
      MAINSPRING_KAFKA_PORT: String(kafkaPort),
      MAINSPRING_KAFKA_CONTROLLER_PORT: String(await findFreePort()),
      MAINSPRING_TEMPORAL_PORT: String(await findFreePort()),
      MAINSPRING_TEMPORAL_UI_PORT: String(await findFreePort()),
      MAINSPRING_POSTGRES_PORT: String(await findFreePort()),
    };
    try {
      const result = await promisify(execFile)(process.execPath, [cli, 'stack', 'up'], { env }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => err,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${kafkaPort} is already in use`);
      expect(result.stderr).toContain(`MAINSPRING_KAFKA_PORT=<port>`);
      expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
      // Preflight happens before anything starts: no component left running.
      const run = join(home, 'run');
      expect(existsSync(run) ? readdirSync(run) : []).toEqual([]);
    } finally {
      blocker.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
