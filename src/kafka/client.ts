import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/env';

export type KafkaSettings = Pick<Config['kafka'], 'brokers' | 'clientId' | 'ssl' | 'sasl'>;

export function createKafka(settings: KafkaSettings, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
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
