import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type logCreator, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/env';
import { createLogger, type Logger } from '../observability/logger';
import { Backoff } from './backoff';

export type KafkaSettings = Pick<Config['kafka'], 'brokers' | 'clientId' | 'ssl' | 'sasl'> & Partial<Pick<Config['kafka'], 'tls'>>;

/** kafkajs `ssl`: true (system CAs) or the configured PEM files, read once here; a vanished file names its variable. */
export function kafkaSslOptions(settings: Pick<KafkaSettings, 'ssl' | 'tls'>): boolean | ConnectionOptions {
  const tls = settings.tls;
  if (!tls) return settings.ssl;
  const read = (path: string | undefined, variable: string) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${variable}=${path} cannot be read: ${(err as Error).message}`);
    }
  };
  const ca = read(tls.caPath, 'KAFKA_SSL_CA_FILE');
  const cert = read(tls.certPath, 'KAFKA_SSL_CERT_FILE');
  const key = read(tls.keyPath, 'KAFKA_SSL_KEY_FILE');
  return { rejectUnauthorized: true, ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/**
 * A fresh broker answers with these while it creates __consumer_offsets, loads group coordinators and elects
 * partition leaders (and a transaction coordinator while it completes the previous transaction); kafkajs retries them
 * by itself. They are logged at debug, not printed as errors on every start.
 * (kafkajs error types GROUP_LOAD_IN_PROGRESS, GROUP_COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR_FOR_GROUP,
 * LEADER_NOT_AVAILABLE, NOT_LEADER_FOR_PARTITION; their messages are all a log entry carries.)
 */
const TRANSIENT_BROKER_STATES = [
  'The coordinator is loading',
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'There is no leader for this topic-partition',
  'This server is not the leader for that topic-partition',
  // CONCURRENT_TRANSACTIONS: the coordinator still completes the transactional producer's previous transaction.
  'another concurrent operation on the same transaction was ongoing',
];

/**
 * Not problems: a rebalance (kafkajs warns on each, e.g. a bridge joining), a consumer restarting after a retriable
 * crash (kafkajs says so at error; the crash itself is logged at its own level just before), and the bounded retries
 * of the outbox relays' transactional producers (src/kafka/outbox/relay.ts says why they keep the guarantee).
 */
const ROUTINE_MESSAGES = ['The group is rebalancing, re-joining', 'Restarting the consumer in', 'Limiting retries for the idempotent producer'];

const KAFKAJS_LEVEL_OF_PINO: Record<string, logLevel> = { trace: logLevel.DEBUG, debug: logLevel.DEBUG, info: logLevel.INFO, warn: logLevel.WARN, error: logLevel.ERROR, fatal: logLevel.ERROR, silent: logLevel.NOTHING };

/** What kafkajs has to say goes through pino: one JSON line format, the configured level, the component's fields. */
export function kafkaLogCreator(logger: Logger): logCreator {
  // Not `component`: the caller's logger usually carries one (bridge, worker), and pino would print the key twice.
  const log = logger.child({ lib: 'kafkajs' });
  return () => ({ namespace, level, log: entry }) => {
    const { message, timestamp: _timestamp, logger: _source, ...fields } = entry as LogEntry['log'] & { timestamp?: unknown; logger?: unknown };
    const text = `${namespace ? `[${namespace}] ` : ''}${message}`;
    const about = `${message} ${typeof fields.error === 'string' ? fields.error : ''}`;
    let pinoLevel: 'debug' | 'info' | 'warn' | 'error' = level === logLevel.ERROR ? 'error' : level === logLevel.WARN ? 'warn' : level === logLevel.INFO ? 'info' : 'debug';
    if (TRANSIENT_BROKER_STATES.some((state) => about.includes(state))) pinoLevel = 'debug';
    else if (pinoLevel !== 'debug' && ROUTINE_MESSAGES.some((m) => about.includes(m))) pinoLevel = 'info';
    log[pinoLevel](fields, text);
  };
}

let defaultLogger: Logger | undefined;

/**
 * A kafkajs client whose logs go through `logger` (pino) at its level. Without one, a warn-level logger of this
 * module's own: kafkajs never prints its raw JSON lines.
 */
export function createKafka(settings: KafkaSettings, overrides: Partial<KafkaConfig> & { logger?: Logger } = {}): Kafka {
  const { logger = (defaultLogger ??= createLogger('warn')), ...config } = overrides;
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: kafkaSslOptions(settings),
    sasl: settings.sasl as SASLOptions | undefined,
    // kafkajs builds no entry below this level; an override (NOTHING for health probes) still wins.
    logLevel: KAFKAJS_LEVEL_OF_PINO[logger.level] ?? logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
    retry: { initialRetryTime: 100, retries: 8 },
    ...config,
  });
}

/**
 * Runs a Kafka request again while brokers settle: topics created a moment ago are not yet in every broker's metadata
 * cache ("This server does not host this topic-partition"), a leader is being elected. Retriable answers are retried
 * (100 ms doubling to 1 s) for up to `timeoutMs`; anything else is thrown at once.
 */
export async function whileKafkaSettles<T>(call: () => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const backoff = new Backoff({ initialMs: 100, maxMs: 1_000 });
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const retriable = (err as { retriable?: unknown }).retriable === true || /does not host this topic-partition|leader/i.test((err as Error).message ?? '');
      if (!retriable || Date.now() > deadline) throw err;
      await backoff.wait();
    }
  }
}

/**
 * Waits until the broker can coordinate `groupId` (asking for its coordinator creates __consumer_offsets on a fresh
 * broker and waits while its partitions load), so the first consumer to join does not crash and restart on it.
 */
export async function awaitGroupCoordinator(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.describeGroups([groupId]);
  } finally {
    await admin.disconnect();
  }
}

/** Creates missing topics; existing ones are left as they are (partition counts are never shrunk). */
export interface TopicLayout {
  partitions: number;
  /** undefined = the cluster's default.replication.factor (one node in the dev stack, three in the rehearsal). */
  replicationFactor?: number;
  minInsyncReplicas?: number;
}

/** A topic that exists with fewer partitions than configured: reported, never changed (more would move keys). */
export interface TopicMismatch {
  topic: string;
  partitions: number;
}

/** Creates the missing topics; returns their names. Existing topics are left as they are (see `describeTopicLayout`). */
export async function ensureTopics(kafka: Kafka, topics: readonly string[], layout: number | TopicLayout): Promise<string[]> {
  const { partitions, replicationFactor, minInsyncReplicas } = typeof layout === 'number' ? { partitions: layout } : layout;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor,
          configEntries: minInsyncReplicas === undefined ? undefined : [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
        })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}

/** Partitions and replicas of each topic as the cluster has them. */
export async function describeTopicLayout(kafka: Kafka, topics: readonly string[]): Promise<Array<{ topic: string; partitions: number; replicas: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
    return found.map((t) => ({ topic: t.name, partitions: t.partitions.length, replicas: Math.min(...t.partitions.map((p) => p.replicas.length)) })).sort((a, b) => a.topic.localeCompare(b.topic));
  } finally {
    await admin.disconnect();
  }
}
