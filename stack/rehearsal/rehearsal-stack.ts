import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { LOCAL_DATABASE_NAME, LOCAL_DATABASE_PASSWORD, LOCAL_DATABASE_USER, loadConfig } from '../../src/config/env';
import { assertPortsFree, findFreePort } from '../../src/lifecycle/ports';
import { setupCluster } from '../../src/lifecycle/setup';
import type { StackComponent } from '../component';
import { localKafkaCluster, type LocalKafka } from '../kafka';
import { stackPaths, toolPaths } from '../paths';
import { LocalPostgres } from '../postgres';
import { claimHome, type ManagedStack, type ThrowawayStack } from '../throwaway';
import { ensureTemporalBinaries } from './binaries';
import { MAX_MEMBERSHIP_PORT, TemporalServer } from './temporal-server';
import { TemporalUi } from './temporal-ui';

/** Kafka brokers of the rehearsal: replication 3 and min.insync.replicas 2, so one broker may die without data loss. */
export const REHEARSAL_BROKERS = 3;

/** The production topology on one machine, as processes this run manages (start order; stop runs the reverse). */
class RehearsalStack implements ManagedStack {
  constructor(
    readonly postgres: LocalPostgres,
    readonly brokers: LocalKafka[],
    readonly temporal: TemporalServer,
    readonly ui: TemporalUi,
  ) {}

  get components(): StackComponent[] {
    return [this.postgres, ...this.brokers, this.temporal, this.ui];
  }

  component(name: string): StackComponent | undefined {
    return this.components.find((c) => c.name === name);
  }

  async up(progress: (line: string) => void): Promise<void> {
    await assertPortsFree(this.components.flatMap((c) => c.ports()), 'mainspring rehearse');
    await this.postgres.start(progress);
    // A KRaft quorum needs a majority of its controllers: the brokers start together.
    await Promise.all([...this.brokers.map((b) => b.start(progress)), this.temporal.start(progress)]);
    await this.ui.start(progress);
  }

  async down({ wipe = false }: { wipe?: boolean } = {}): Promise<void> {
    for (const component of [...this.components].reverse()) {
      await component.stop();
      if (wipe) await component.wipe();
    }
  }
}

/**
 * Brings up the rehearsal topology in `home` on free ports: PostgreSQL; the real Temporal server on it (persistence +
 * SQL visibility) and the Temporal UI server in front of it; a three-node KRaft Kafka cluster; then `mainspring setup`
 * against it (namespace, search attributes, topics with replication 3, migrations). The Go build runs first, once.
 */
export async function startRehearsalStack(options: { root: string; home: string; partitions: number; progress?: (line: string) => void }): Promise<ThrowawayStack & { temporalUi: string }> {
  const { root, home, partitions, progress = () => undefined } = options;
  const tools = process.env.MAINSPRING_TOOLS ?? `${root}/.mainspring`;
  const binaries = await ensureTemporalBinaries(tools, progress);
  claimHome(home);
  const paths = stackPaths(home);
  const free = () => findFreePort();
  const membership = () => findFreePort({ below: MAX_MEMBERSHIP_PORT + 1 });

  const postgres = new LocalPostgres({ paths, port: await free() });
  const brokers = await localKafkaCluster({ size: REHEARSAL_BROKERS, libs: toolPaths(root).kafkaLibs, paths, partitions, heap: '512m', startTimeoutMs: 120_000 });
  const postgresPort = postgres.ports()[0].port;
  const temporal = new TemporalServer({
    binaries,
    paths,
    ports: {
      frontend: await free(),
      frontendHttp: await free(),
      history: await free(),
      matching: await free(),
      worker: await free(),
      membership: { frontend: await membership(), history: await membership(), matching: await membership(), worker: await membership() },
    },
    postgres: { host: '127.0.0.1', port: postgresPort, user: LOCAL_DATABASE_USER, password: LOCAL_DATABASE_PASSWORD },
  });
  const namespace = 'mainspring';
  const ui = new TemporalUi({ binary: binaries.ui, paths, port: await free(), temporalAddress: temporal.address, namespace });
  const stack = new RehearsalStack(postgres, brokers, temporal, ui);

  // Every service is addressed explicitly, as mainspring is pointed at clusters in production.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MAINSPRING_HOME: home,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: namespace,
    KAFKA_BROKERS: brokers.flatMap((b) => b.brokers).join(','),
    KAFKA_PARTITIONS: String(partitions),
    KAFKA_REPLICATION_FACTOR: String(REHEARSAL_BROKERS),
    KAFKA_MIN_INSYNC_REPLICAS: String(REHEARSAL_BROKERS - 1),
    DATABASE_URL: `postgres://${LOCAL_DATABASE_USER}:${LOCAL_DATABASE_PASSWORD}@127.0.0.1:${postgresPort}/${LOCAL_DATABASE_NAME}`,
    MAINSPRING_PII_HASH_KEY: process.env.MAINSPRING_PII_HASH_KEY || randomBytes(24).toString('base64url'),
  };
  const config = loadConfig(env, root);
  const down = async () => {
    await stack.down({ wipe: true });
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await stack.up(progress);
    progress('mainspring setup against the rehearsal cluster');
    for (const step of await setupCluster(config, { progress })) if (step.part !== 'kafka') progress(`  ${step.what}: ${step.outcome}`);
  } catch (err) {
    await down().catch(() => undefined);
    throw err;
  }
  const endpoints = { temporalAddress: temporal.address, temporalNamespace: namespace, temporalUi: ui.url, kafkaBrokers: config.kafka.brokers, databaseUrl: config.database.url };
  return { home, config, stack, endpoints, env, down, temporalUi: ui.url };
}
