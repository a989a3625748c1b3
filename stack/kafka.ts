import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ComponentStatus } from './component';
import { StackError } from './errors';
import type { StackPaths } from './paths';
import { kafkaHealthy } from './health';
import { findFreePort, type PortClaim } from '../src/lifecycle/ports';
import { ProcessComponent } from './process-component';

const run = promisify(execFile);

export interface LocalKafkaOptions {
  libs: string;
  paths: StackPaths;
  port: number;
  controllerPort: number;
  partitions: number;
  heap?: string;
  startTimeoutMs?: number;
  /** One node of a cluster (the rehearsal's three); without it, a single node that is the whole cluster. */
  cluster?: KafkaClusterNode;
}

/** A node's place in a KRaft cluster: every node is broker and controller, all format with the same cluster id. */
export interface KafkaClusterNode {
  nodeId: number;
  /** `id@host:controllerPort` of every node. */
  quorumVoters: string;
  clusterId: string;
  /** Internal topics' replication; min.insync.replicas is one less (a node may be down). */
  replicationFactor: number;
}

/** Apache Kafka 4 from Maven Central jars: KRaft nodes acting as broker and controller. */
export class LocalKafka extends ProcessComponent {
  constructor(private readonly options: LocalKafkaOptions) {
    super(options.cluster ? `kafka-${options.cluster.nodeId}` : 'kafka', options.paths);
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.options.port}`];
  }

  async preflight(): Promise<void> {
    await ensureJava();
    this.classpath();
  }

  ports(): PortClaim[] {
    return [
      { port: this.options.port, component: 'Kafka', envVar: 'MAINSPRING_KAFKA_PORT' },
      { port: this.options.controllerPort, component: 'the Kafka controller', envVar: 'MAINSPRING_KAFKA_CONTROLLER_PORT' },
    ];
  }

  async start(progress: (line: string) => void): Promise<void> {
    const classpath = this.classpath();
    const configFile = this.writeConfig();
    const logDir = join(this.dataDir, 'log');
    if (!existsSync(join(logDir, 'meta.properties'))) {
      progress(`formatting ${this.name} storage (first start)`);
      const clusterId = this.options.cluster?.clusterId ?? newKafkaClusterId();
      try {
        await run('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', configFile, '--ignore-formatted']);
      } catch (err) {
        throw new StackError('START_FAILED', `Formatting Kafka storage failed: ${(err as { stderr?: string }).stderr ?? String(err)}`, `Remove ${this.dataDir} and retry.`);
      }
    }
    progress(`starting ${this.name} on ${this.brokers[0]}`);
    await this.launch(
      {
        command: 'java',
        args: [
          `-Xmx${this.options.heap ?? '768m'}`, '-Xms256m', '-XX:+UseG1GC', '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${join(this.dataDir, 'log4j2.properties')}`,
          '-cp', classpath, 'kafka.Kafka', configFile,
        ],
      },
      { what: 'Kafka', timeoutMs: this.options.startTimeoutMs ?? 90_000, intervalMs: 500 },
    );
  }

  private classpath(): string {
    const { libs } = this.options;
    if (!existsSync(libs) || !readdirSync(libs).some((f) => f.startsWith('kafka_2.13-'))) {
      throw new StackError('NOT_INSTALLED', `Kafka jars not found in ${libs}.`, 'Run `npm run bootstrap` (fetches org.apache.kafka:kafka_2.13 from Maven Central with mvn).');
    }
    return `${libs}/*`;
  }

  private writeConfig(): string {
    const { port, controllerPort, partitions, cluster } = this.options;
    const dir = this.dataDir;
    const replication = cluster?.replicationFactor ?? 1;
    const minInsync = Math.max(1, replication - 1);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'server.properties');
    writeFileSync(
      file,
      [
        'process.roles=broker,controller',
        `node.id=${cluster?.nodeId ?? 1}`,
        `controller.quorum.voters=${cluster?.quorumVoters ?? `1@127.0.0.1:${controllerPort}`}`,
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        `log.dirs=${join(dir, 'log')}`,
        `num.partitions=${partitions}`,
        // Topics created without a replication factor (mainspring's, by `mainspring setup`) get the cluster's.
        `default.replication.factor=${replication}`,
        `min.insync.replicas=${minInsync}`,
        `offsets.topic.replication.factor=${replication}`,
        'offsets.topic.num.partitions=6',
        `transaction.state.log.replication.factor=${replication}`,
        `transaction.state.log.min.isr=${minInsync}`,
        `share.coordinator.state.topic.replication.factor=${replication}`,
        `share.coordinator.state.topic.min.isr=${minInsync}`,
        // Dev brokers and the rehearsal: rebalance at once instead of waiting for more members.
        'group.initial.rebalance.delay.ms=0',
        'auto.create.topics.enable=false',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'log4j2.properties'),
      [
        'rootLogger.level=WARN',
        'rootLogger.appenderRef.stdout.ref=STDOUT',
        'appender.stdout.type=Console',
        'appender.stdout.name=STDOUT',
        'appender.stdout.layout.type=PatternLayout',
        'appender.stdout.layout.pattern=[%d] %p %m (%c)%n',
        'logger.kafka.name=kafka.server.KafkaRaftServer',
        'logger.kafka.level=INFO',
        '',
      ].join('\n'),
    );
    return file;
  }

  /** Healthy = the broker answers a metadata request with a live node. */
  healthy(): Promise<boolean> {
    return kafkaHealthy({ brokers: this.brokers, clientId: 'mainspring-stack', ssl: false });
  }

  status(): Promise<ComponentStatus> {
    const version = readdirSync(this.options.libs).find((f) => f.startsWith('kafka_2.13-'))?.replace(/^kafka_2\.13-(.*)\.jar$/, '$1');
    return this.processStatus({ endpoint: this.brokers[0], port: this.options.port, version });
  }
}

/**
 * The nodes of a local KRaft cluster on free ports (every node broker and controller, one cluster id, topics
 * replicated to all of them): the rehearsal's three brokers and the leader-kill test's. Not started.
 */
export async function localKafkaCluster(options: Omit<LocalKafkaOptions, 'port' | 'controllerPort' | 'cluster'> & { size: number }): Promise<LocalKafka[]> {
  const { size, ...common } = options;
  const clusterId = newKafkaClusterId();
  const nodes = [];
  for (let nodeId = 1; nodeId <= size; nodeId++) nodes.push({ nodeId, port: await findFreePort(), controllerPort: await findFreePort() });
  const quorumVoters = nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(',');
  return nodes.map((n) => new LocalKafka({ ...common, port: n.port, controllerPort: n.controllerPort, cluster: { nodeId: n.nodeId, quorumVoters, clusterId, replicationFactor: size } }));
}

/**
 * A KRaft cluster id: 16 random bytes, base64url (what `kafka-storage random-uuid` prints). Like Kafka's own, never
 * one starting with '-': the storage tool's command line would take it for an option (1 start in 64 failed so).
 */
export function newKafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url').slice(0, 22);
    if (!id.startsWith('-')) return id;
  }
}

async function ensureJava(): Promise<void> {
  try {
    const { stderr } = await run('java', ['-version']);
    const major = Number(/version "(\d+)/.exec(stderr)?.[1] ?? 0);
    if (major < 17) throw new StackError('JAVA_MISSING', `Kafka 4 needs Java 17 or newer; found ${stderr.split('\n')[0]}.`, 'Install it: `apt-get install openjdk-17-jre-headless`.');
  } catch (err) {
    if (err instanceof StackError) throw err;
    throw new StackError('JAVA_MISSING', 'Kafka needs Java 17+, and `java` was not found on PATH.', 'Install it: `apt-get install openjdk-17-jre-headless`, or set KAFKA_BROKERS to use an existing cluster.');
  }
}
