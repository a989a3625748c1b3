// The relay's progress topic (shard.ts progressTopicOf): created on first lead, read once per takeover.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { lastBatchOf } from './shard';

/** Records read back from the end of the progress topic: a few transactions' worth is plenty (the last one counts). */
const TAIL = 50;

/**
 * The last batch number committed to a progress topic (-1: none), creating the topic when missing. Call only after
 * the shard's InitProducerId: then no transaction is open on it and its last stable offset is its end.
 */
export async function lastCommittedBatch(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  let end: bigint;
  let low: bigint;
  try {
    // Compacted: only the latest batch number matters. One partition: one order of transactions. Created only when
    // missing, so a cluster where the topics are made by hand needs no create permission for the workers.
    if (!(await admin.listTopics()).includes(topic)) await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const [p] = await admin.fetchTopicOffsets(topic); // read_committed: the last stable offset
    end = BigInt(p.high);
    low = BigInt(p.low);
  } finally {
    await admin.disconnect();
  }
  if (end <= low) return -1;
  const from = end - BigInt(TAIL) > low ? end - BigInt(TAIL) : low;
  const values: Array<Buffer | null> = [];
  const consumer = kafka.consumer({ groupId: `mainspring-outbox-progress-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: false });
    let timer: NodeJS.Timeout | undefined;
    const read = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`reading ${topic} timed out after ${timeoutMs} ms`)), timeoutMs);
      // Done when a batch reaches the end: by its last offset, as commit markers and aborted records deliver nothing.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic === topic && BigInt(payload.lastOffset) >= end - 1n) resolve();
      });
    });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void (BigInt(message.offset) < end && values.push(message.value)) });
    consumer.seek({ topic, partition: 0, offset: from.toString() });
    await read.finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  return lastBatchOf(values);
}
