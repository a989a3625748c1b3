import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ComponentStatus, StackComponent } from './component';
import { StackError } from './errors';
import type { StackPaths } from './paths';
import { kafkaHealthy } from './health';
import type { PortClaim } from '../src/lifecycle/ports';
import { livePid, spawnDetached, stopFromPidFile, tailFile, waitUntil } from './processes';

const run = promisify(execFile);

export interface LocalKafkaOptions {
  libs: string;
  paths: StackPaths;
  port: number;
  controllerPort: number;
  partitions: number;
  heap?: string;
  startTimeoutMs?: number;
}

const NAME = 'kafka';

/** Apache Kafka 4 from Maven Central jars, one KRaft node acting as broker and controller. */
export class LocalKafka implements StackComponent {
  readonly name = NAME;
  constructor(private readonly options: LocalKafkaOptions) {}

  get brokers(): string[] {
    return [`127.0.0.1:${this.options.port}`];
  }

  async running(): Promise<boolean> {
    return livePid(this.options.paths.pid(NAME)) !== undefined && (await this.healthy().catch(() => false));
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
    const { paths } = this.options;
    const pidFile = paths.pid(NAME);
    const classpath = this.classpath();

    const configFile = this.writeConfig();
    const logDir = join(paths.data(NAME), 'log');
    if (!existsSync(join(logDir, 'meta.properties'))) {
      progress('formatting kafka storage (first start)');
      const clusterId = randomBytes(16).toString('base64url').slice(0, 22);
      try {
        await run('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', configFile, '--ignore-formatted']);
      } catch (err) {
        throw new StackError('START_FAILED', `Formatting Kafka storage failed: ${(err as { stderr?: string }).stderr ?? String(err)}`, `Remove ${paths.data(NAME)} and retry.`);
      }
    }
    progress(`starting kafka on ${this.brokers[0]}`);
    const pid = spawnDetached({
      command: 'java',
      args: [
        `-Xmx${this.options.heap ?? '768m'}`, '-Xms256m', '-XX:+UseG1GC', '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${join(paths.data(NAME), 'log4j2.properties')}`,
        '-cp', classpath, 'kafka.Kafka', configFile,
      ],
      logFile: paths.log(NAME),
      pidFile,
    });
    const ready = await waitUntil(() => this.healthy(), {
      timeoutMs: this.options.startTimeoutMs ?? 90_000,
      intervalMs: 500,
      isDead: () => livePid(pidFile) !== pid,
    });
    if (!ready.ok) {
      throw new StackError(
        'UNHEALTHY',
        `Kafka did not become healthy: ${ready.reason}. Log ${paths.log(NAME)}:\n${tailFile(paths.log(NAME))}`,
        'Check the log above; `mainspring stack down` then `mainspring stack up` retries.',
      );
    }
  }

  private classpath(): string {
    const { libs } = this.options;
    if (!existsSync(libs) || !readdirSync(libs).some((f) => f.startsWith('kafka_2.13-'))) {
      throw new StackError('NOT_INSTALLED', `Kafka jars not found in ${libs}.`, 'Run `npm run bootstrap` (fetches org.apache.kafka:kafka_2.13 from Maven Central with mvn).');
    }
    return `${libs}/*`;
  }

  private writeConfig(): string {
    const { paths, port, controllerPort, partitions } = this.options;
    const dir = paths.data(NAME);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'server.properties');
    writeFileSync(
      file,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        `log.dirs=${join(dir, 'log')}`,
        `num.partitions=${partitions}`,
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=6',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        // A one-node dev broker: rebalance at once instead of waiting for more members.
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

  async stop(): Promise<void> {
    await stopFromPidFile(this.options.paths.pid(NAME), 30_000);
  }

  async wipe(): Promise<void> {
    rmSync(this.options.paths.data(NAME), { recursive: true, force: true });
  }

  async status(): Promise<ComponentStatus> {
    const pid = livePid(this.options.paths.pid(NAME));
    const version = readdirSync(this.options.libs).find((f) => f.startsWith('kafka_2.13-'))?.replace(/^kafka_2\.13-(.*)\.jar$/, '$1');
    const base = { name: NAME, external: false, endpoint: this.brokers[0], port: this.options.port, pid, version } as const;
    if (pid === undefined) return { ...base, state: 'down' };
    return { ...base, state: (await this.healthy().catch(() => false)) ? 'up' : 'unhealthy' };
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
