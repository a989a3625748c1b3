import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PortClaim } from '../../src/lifecycle/ports';
import type { ComponentStatus, StackComponent } from '../component';
import { StackError } from '../errors';
import type { StackPaths } from '../paths';
import { livePid, spawnDetached, stopFromPidFile, tailFile, waitUntil } from '../processes';
import { TEMPORAL_UI_VERSION } from './binaries';

export interface TemporalUiOptions {
  binary: string;
  paths: StackPaths;
  port: number;
  /** The frontend it talks to, as a UI deployment beside a cluster does. */
  temporalAddress: string;
  namespace: string;
  startTimeoutMs?: number;
}

const NAME = 'temporal-ui';

/** The Temporal UI server (temporalio/ui-server) pointed at an external frontend. */
export class TemporalUi implements StackComponent {
  readonly name = NAME;
  constructor(private readonly options: TemporalUiOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  async running(): Promise<boolean> {
    return livePid(this.options.paths.pid(NAME)) !== undefined && (await this.healthy().catch(() => false));
  }

  async preflight(): Promise<void> {
    // Built with the server (ensureTemporalBinaries).
  }

  ports(): PortClaim[] {
    return [{ port: this.options.port, component: 'the Temporal UI', envVar: 'MAINSPRING_REHEARSAL_PORT_BASE' }];
  }

  async start(progress: (line: string) => void): Promise<void> {
    const { paths, binary, port, temporalAddress, namespace } = this.options;
    const root = paths.data(NAME);
    mkdirSync(join(root, 'config'), { recursive: true });
    // ui-server reads <root>/config/<env>.yaml; JSON is YAML.
    writeFileSync(
      join(root, 'config', 'rehearsal.yaml'),
      JSON.stringify({ temporalGrpcAddress: temporalAddress, host: '127.0.0.1', port, enableUi: true, defaultNamespace: namespace, auth: { enabled: false }, cors: { allowOrigins: [] } }, null, 2),
    );
    progress(`starting the Temporal UI ${TEMPORAL_UI_VERSION} on ${this.url} (frontend ${temporalAddress})`);
    const pidFile = paths.pid(NAME);
    const pid = spawnDetached({ command: binary, args: ['--root', root, '--env', 'rehearsal', 'start'], logFile: paths.log(NAME), pidFile, cwd: root });
    const ready = await waitUntil(() => this.healthy(), { timeoutMs: this.options.startTimeoutMs ?? 30_000, isDead: () => livePid(pidFile) !== pid });
    if (!ready.ok) throw new StackError('UNHEALTHY', `The Temporal UI did not come up: ${ready.reason}. Log ${paths.log(NAME)}:\n${tailFile(paths.log(NAME))}`);
  }

  /** Healthy = the UI's API lists namespaces (it reached the frontend). */
  async healthy(): Promise<boolean> {
    const response = await fetch(`${this.url}/api/v1/namespaces`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  }

  async stop(): Promise<void> {
    await stopFromPidFile(this.options.paths.pid(NAME), 10_000);
  }

  async wipe(): Promise<void> {
    rmSync(this.options.paths.data(NAME), { recursive: true, force: true });
  }

  async status(): Promise<ComponentStatus> {
    const pid = livePid(this.options.paths.pid(NAME));
    const base = { name: NAME, external: false, endpoint: this.url, port: this.options.port, pid, version: TEMPORAL_UI_VERSION } as const;
    if (pid === undefined) return { ...base, state: 'down' };
    return { ...base, state: (await this.healthy().catch(() => false)) ? 'up' : 'unhealthy' };
  }
}
