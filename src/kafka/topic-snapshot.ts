import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';

export interface TopicRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string;
}

/**
 * Reads every record of `topic` up to its end at the time of the call (a snapshot), with a throw-away consumer
 * group that commits nothing: DLQ listings and the chaos invariants need the whole topic, not what some group saw.
 */
export async function readTopicSnapshot(kafka: Kafka, topic: string, options: { timeoutMs?: number; groupPrefix?: string } = {}): Promise<TopicRecord[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));
  const records: TopicRecord[] = [];
  if (pending.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `${options.groupPrefix ?? 'mainspring-topic-reader'}-${randomUUID()}`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} timed out after ${timeoutMs} ms (${pending.size} partitions unfinished)`)), timeoutMs);
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = ends.get(partition) ?? 0n;
          if (BigInt(message.offset) < end) {
            records.push({ partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers ?? {}, timestamp: message.timestamp });
          }
          if (BigInt(message.offset) >= end - 1n) pending.delete(partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** First value of a header as a string (kafkajs gives Buffer, string or an array of them). */
export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
