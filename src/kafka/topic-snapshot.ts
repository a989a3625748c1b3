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
 * Committed records only (read_committed, the kafkajs default): the end is the last stable offset, and saga effects
 * are written in Kafka transactions (src/kafka/outbox/), whose aborted records a reader must not count.
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
      // A partition is read once a batch reaches its end. By the batch's last offset, not the last record's: a
      // transaction's commit marker (and an aborted transaction's records) take offsets no record is delivered for,
      // and a batch of only those reaches no handler but this event.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic !== topic || !pending.has(payload.partition)) return;
        if (BigInt(payload.lastOffset) >= (ends.get(payload.partition) ?? 0n) - 1n) pending.delete(payload.partition);
        if (pending.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = ends.get(partition) ?? 0n;
          if (BigInt(message.offset) < end) {
            records.push({ partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers ?? {}, timestamp: message.timestamp });
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
