import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/env';

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

export function createKafka(settings: KafkaSettings, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: kafkaSslOptions(settings),
    sasl: settings.sasl as SASLOptions | undefined,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 100, retries: 8 },
    ...overrides,
  });
}

/** Creates missing topics; existing ones are left as they are (partition counts are never shrunk). */
export async function ensureTopics(kafka: Kafka, topics: readonly string[], partitions: number): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        // Replication factor is left to the broker default so the same call suits a one-node stack and a cluster.
        topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
