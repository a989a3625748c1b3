import type { Config } from '../src/config/env';
import { setupCluster } from '../src/lifecycle/setup';
import type { ComponentStatus, StackComponent } from './component';
import { kafkaHealthy, postgresHealthy, temporalHealthy } from './health';
import { LocalKafka } from './kafka';
import { stackPaths, toolPaths, type ToolPaths } from './paths';
import { assertPortsFree, type PortClaim } from '../src/lifecycle/ports';
import { LocalPostgres } from './postgres';
import { LocalTemporal } from './temporal';

export interface StackEndpoints {
  temporalAddress: string;
  temporalNamespace: string;
  temporalUi?: string;
  kafkaBrokers: string[];
  databaseUrl: string;
}

/**
 * The local stack: Temporal dev server, Kafka and PostgreSQL as background processes under `config.home`.
 * A component whose address comes from the environment is external: used, never started or stopped.
 */
export class Stack {
  readonly temporal?: LocalTemporal;
  readonly kafka?: LocalKafka;
  readonly postgres?: LocalPostgres;

  constructor(
    private readonly config: Config,
    tools: ToolPaths = toolPaths(),
  ) {
    const paths = stackPaths(config.home);
    if (!config.temporal.external) {
      this.temporal = new LocalTemporal({
        cli: tools.temporalCli,
        paths,
        port: config.temporal.localPort,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
      });
    }
    if (!config.kafka.external) {
      this.kafka = new LocalKafka({
        libs: tools.kafkaLibs,
        paths,
        port: config.kafka.localPort,
        controllerPort: config.kafka.controllerPort,
        partitions: config.kafka.partitions,
      });
    }
    if (!config.database.external) this.postgres = new LocalPostgres({ paths, port: config.database.localPort });
  }

  /** Start order: storage first (PostgreSQL), then Kafka, then Temporal; stop runs the reverse. */
  get components(): StackComponent[] {
    return [this.postgres, this.kafka, this.temporal].filter((c): c is NonNullable<typeof c> => c !== undefined);
  }

  component(name: string): StackComponent | undefined {
    return this.components.find((c) => c.name === name);
  }

  get home(): string {
    return this.config.home;
  }

  get endpoints(): StackEndpoints {
    return {
      temporalAddress: this.config.temporal.address,
      temporalNamespace: this.config.temporal.namespace,
      temporalUi: this.temporal?.uiUrl,
      kafkaBrokers: this.config.kafka.brokers,
      databaseUrl: this.config.database.url,
    };
  }

  /**
   * Every problem we can see in advance is reported before anything starts: a missing tool, and every taken port —
   * the stack's own (of components not running yet) and `alsoFree`, the ports the caller listens on once the stack
   * is up (metrics endpoints), so a command does not bring the stack up only to fail on its own port.
   */
  async preflight(options: { alsoFree?: readonly PortClaim[]; progress?: (line: string) => void; what?: string } = {}): Promise<StackComponent[]> {
    const toStart: StackComponent[] = [];
    for (const component of this.components) {
      if (await component.running()) options.progress?.(`${component.name} already running`);
      else toStart.push(component);
    }
    for (const component of toStart) await component.preflight();
    await assertPortsFree([...toStart.flatMap((c) => c.ports()), ...(options.alsoFree ?? [])], options.what ?? 'mainspring stack up');
    return toStart;
  }

  async up(progress: (line: string) => void = () => undefined, options: { alsoFree?: readonly PortClaim[]; what?: string } = {}): Promise<StackEndpoints> {
    const toStart = await this.preflight({ ...options, progress });
    // Independent services start side by side; each waits for its own health check.
    await Promise.all(toStart.map((component) => component.start(progress)));
    // What `mainspring setup` does on a real cluster: namespace, search attributes, topics, migrations.
    await setupCluster(this.config, { progress });
    return this.endpoints;
  }

  async down({ wipe = false }: { wipe?: boolean } = {}): Promise<void> {
    for (const component of [...this.components].reverse()) {
      await component.stop();
      if (wipe) await component.wipe();
    }
  }

  async status(): Promise<ComponentStatus[]> {
    const { temporal, kafka, database } = this.config;
    const state = (check: Promise<boolean>) => check.then((ok): ComponentStatus['state'] => (ok ? 'up' : 'unhealthy'), () => 'down' as const);
    const external: Array<Promise<ComponentStatus>> = [];
    if (temporal.external) external.push(state(temporalHealthy(temporal)).then((s) => ({ name: 'temporal', state: s, external: true, endpoint: temporal.address, detail: 'TEMPORAL_ADDRESS' })));
    if (kafka.external) external.push(state(kafkaHealthy(kafka)).then((s) => ({ name: 'kafka', state: s, external: true, endpoint: kafka.brokers.join(','), detail: 'KAFKA_BROKERS' })));
    if (database.external) external.push(state(postgresHealthy(database.url)).then((s) => ({ name: 'postgres', state: s, external: true, endpoint: redactUrl(database.url), detail: 'DATABASE_URL' })));
    return Promise.all([...this.components.map((c) => c.status()), ...external]);
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
