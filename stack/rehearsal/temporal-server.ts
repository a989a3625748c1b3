import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PortClaim } from '../../src/lifecycle/ports';
import type { ComponentStatus } from '../component';
import { StackError } from '../errors';
import { temporalHealthy } from '../health';
import type { StackPaths } from '../paths';
import { ProcessComponent } from '../process-component';
import { TEMPORAL_SERVER_VERSION, type TemporalBinaries } from './binaries';

const run = promisify(execFile);

export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  /** Ringpop membership ports, one per role. PostgreSQL stores them as smallint: they must be below 32768. */
  membership: { frontend: number; history: number; matching: number; worker: number };
}

export interface TemporalServerOptions {
  binaries: TemporalBinaries;
  paths: StackPaths;
  ports: TemporalServerPorts;
  /** PostgreSQL that holds both stores: persistence (`temporal`) and visibility (`temporal_visibility`). */
  postgres: { host: string; port: number; user: string; password: string };
  historyShards?: number;
  startTimeoutMs?: number;
}

/** cluster_membership.rpc_port is a smallint in the PostgreSQL schema. */
export const MAX_MEMBERSHIP_PORT = 32_767;

const STORES = [
  { database: 'temporal', schema: 'postgresql/v12/temporal' },
  { database: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;

/**
 * The real Temporal server (all four roles in one process) on PostgreSQL for persistence and SQL visibility — what a
 * platform team runs, unlike the dev server's SQLite. Schemas are created and upgraded by temporal-sql-tool on every
 * start (both steps skip what is done). No namespace is created here: `mainspring setup` registers it.
 */
export class TemporalServer extends ProcessComponent {
  constructor(private readonly options: TemporalServerOptions) {
    super('temporal', options.paths);
    const tooHigh = Object.entries(options.ports.membership).filter(([, port]) => port > MAX_MEMBERSHIP_PORT);
    if (tooHigh.length > 0) {
      throw new StackError(
        'START_FAILED',
        `membership ports must be at most ${MAX_MEMBERSHIP_PORT}: ${tooHigh.map(([role, port]) => `${role} ${port}`).join(', ')}`,
        'The server stores them in a PostgreSQL smallint and fails to start with "out of range for type smallint".',
      );
    }
  }

  get address(): string {
    return `127.0.0.1:${this.options.ports.frontend}`;
  }

  async preflight(): Promise<void> {
    // The binaries are built before the components are made (ensureTemporalBinaries).
  }

  ports(): PortClaim[] {
    const { ports } = this.options;
    const claim = (port: number, what: string): PortClaim => ({ port, component: `the Temporal server (${what})`, envVar: 'MAINSPRING_REHEARSAL_PORT_BASE' });
    return [
      claim(ports.frontend, 'frontend gRPC'),
      claim(ports.frontendHttp, 'frontend HTTP'),
      claim(ports.history, 'history'),
      claim(ports.matching, 'matching'),
      claim(ports.worker, 'worker'),
      ...Object.entries(ports.membership).map(([role, port]) => claim(port, `${role} membership`)),
    ];
  }

  async start(progress: (line: string) => void): Promise<void> {
    await this.applySchemas(progress);
    const config = this.writeConfig();
    progress(`starting the Temporal server ${TEMPORAL_SERVER_VERSION} on ${this.address} (PostgreSQL persistence + visibility)`);
    await this.launch(
      { command: this.options.binaries.server, args: ['--config-file', config, '--allow-no-auth', 'start'], cwd: this.dataDir },
      { what: 'The Temporal server', timeoutMs: this.options.startTimeoutMs ?? 90_000, intervalMs: 500, hint: 'Check the log above.' },
    );
  }

  /** create-database, setup-schema -v 0.0 and update-schema to the newest embedded version: each is a no-op when done. */
  private async applySchemas(progress: (line: string) => void): Promise<void> {
    const { postgres, binaries } = this.options;
    const base = ['--plugin', 'postgres12', '--ep', postgres.host, '-p', String(postgres.port), '-u', postgres.user, '--pw', postgres.password];
    for (const store of STORES) {
      progress(`temporal-sql-tool: database ${store.database}, schema ${store.schema}`);
      const db = [...base, '--db', store.database];
      for (const args of [[...db, 'create'], [...db, 'setup-schema', '-v', '0.0'], [...db, 'update-schema', '--schema-name', store.schema]]) {
        try {
          await run(binaries.sqlTool, args, { maxBuffer: 16 * 1024 * 1024 });
        } catch (err) {
          const output = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? String(err)}`;
          throw new StackError('START_FAILED', `temporal-sql-tool ${args.slice(base.length + 2).join(' ')} on ${store.database} failed:\n${output.split('\n').slice(-8).join('\n')}`);
        }
      }
    }
  }

  private writeConfig(): string {
    const { ports, postgres, historyShards = 4 } = this.options;
    const dir = this.dataDir;
    mkdirSync(dir, { recursive: true });
    const store = (database: string, maxConns: number) => ({
      sql: { pluginName: 'postgres12', databaseName: database, connectAddr: `${postgres.host}:${postgres.port}`, connectProtocol: 'tcp', user: postgres.user, password: postgres.password, maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h' },
    });
    const role = (grpcPort: number, membershipPort: number, extra: Record<string, number> = {}) => ({ rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra } });
    // JSON is YAML: the server reads this file as it is.
    const config = {
      log: { stdout: true, level: 'warn' },
      persistence: {
        defaultStore: 'default',
        visibilityStore: 'visibility',
        // Fixed for the life of the cluster: chosen once, at the first start.
        numHistoryShards: historyShards,
        datastores: { default: store('temporal', 20), visibility: store('temporal_visibility', 10) },
      },
      global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
      services: {
        frontend: role(ports.frontend, ports.membership.frontend, { httpPort: ports.frontendHttp }),
        history: role(ports.history, ports.membership.history),
        matching: role(ports.matching, ports.membership.matching),
        worker: role(ports.worker, ports.membership.worker),
      },
      clusterMetadata: {
        enableGlobalNamespace: false,
        failoverVersionIncrement: 10,
        masterClusterName: 'active',
        currentClusterName: 'active',
        clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: this.address } },
      },
      dcRedirectionPolicy: { policy: 'noop' },
      dynamicConfigClient: { filepath: join(dir, 'dynamic-config.yaml'), pollInterval: '10s' },
    };
    writeFileSync(
      join(dir, 'dynamic-config.yaml'),
      [
        '# Search attributes added by `mainspring setup` are usable at once (otherwise after the cache refresh).',
        'system.forceSearchAttributesCacheRefreshOnRead:',
        '  - value: true',
        '',
      ].join('\n'),
    );
    const file = join(dir, 'config.yaml');
    writeFileSync(file, JSON.stringify(config, null, 2));
    return file;
  }

  /** Healthy = the frontend answers for the system namespace (the server creates it on first start). */
  healthy(): Promise<boolean> {
    return temporalHealthy({ address: this.address, namespace: 'temporal-system' });
  }

  status(): Promise<ComponentStatus> {
    return this.processStatus({ endpoint: this.address, port: this.options.ports.frontend, version: TEMPORAL_SERVER_VERSION, detail: 'PostgreSQL persistence + visibility' });
  }
}
