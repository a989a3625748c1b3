import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PortClaim } from '../../src/lifecycle/ports';
import type { ComponentStatus } from '../component';
import type { StackPaths } from '../paths';
import { ProcessComponent } from '../process-component';
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

/** The Temporal UI server (temporalio/ui-server) pointed at an external frontend. */
export class TemporalUi extends ProcessComponent {
  constructor(private readonly options: TemporalUiOptions) {
    super('temporal-ui', options.paths, { timeoutMs: 10_000 });
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  async preflight(): Promise<void> {
    // Built with the server (ensureTemporalBinaries).
  }

  ports(): PortClaim[] {
    return [{ port: this.options.port, component: 'the Temporal UI', envVar: 'MAINSPRING_REHEARSAL_PORT_BASE' }];
  }

  async start(progress: (line: string) => void): Promise<void> {
    const { binary, port, temporalAddress, namespace } = this.options;
    const root = this.dataDir;
    mkdirSync(join(root, 'config'), { recursive: true });
    // ui-server reads <root>/config/<env>.yaml; JSON is YAML.
    writeFileSync(
      join(root, 'config', 'rehearsal.yaml'),
      JSON.stringify({ temporalGrpcAddress: temporalAddress, host: '127.0.0.1', port, enableUi: true, defaultNamespace: namespace, auth: { enabled: false }, cors: { allowOrigins: [] } }, null, 2),
    );
    progress(`starting the Temporal UI ${TEMPORAL_UI_VERSION} on ${this.url} (frontend ${temporalAddress})`);
    await this.launch({ command: binary, args: ['--root', root, '--env', 'rehearsal', 'start'], cwd: root }, { what: 'The Temporal UI', timeoutMs: this.options.startTimeoutMs ?? 30_000 });
  }

  /** Healthy = the UI's API lists namespaces (it reached the frontend). */
  async healthy(): Promise<boolean> {
    const response = await fetch(`${this.url}/api/v1/namespaces`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  }

  status(): Promise<ComponentStatus> {
    return this.processStatus({ endpoint: this.url, port: this.options.port, version: TEMPORAL_UI_VERSION });
  }
}
