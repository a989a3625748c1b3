// The relay's progress topic (shard.ts progressTopicOf): created on first lead, read once per takeover.
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { lastBatchOf, takeoverMessages } from './shard';

/** Offsets read back before the takeover record at first: a few transactions' worth (each also takes a marker). */
const TAIL = 200n;

/** Creates the progress topic when missing (compacted, one partition: one order of transactions). */
export async function ensureProgressTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Only when missing, so a cluster where the topics are made by hand needs no create permission for the workers.
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * The last batch number committed to the shard's progress topic (-1: none). Call after the shard's InitProducerId
 * (the previous leader's transaction is over) with the fenced-in producer: it first commits a takeover record of
 * its own, then reads up to it. Everything the previous leaders committed lies before that record, and reading until
 * it is visible waits out a partition leader whose high watermark still lags after a broker failure — reading to
 * the end offset of the moment could miss the last committed batch and publish it again.
 */
export async function lastCommittedBatch(kafka: Kafka, producer: Producer, topic: string, shard: number, timeoutMs = 30_000): Promise<number> {
  const txn = await producer.transaction();
  let marker: bigint;
  try {
    const [meta] = await txn.send({ acks: -1, ...takeoverMessages(topic, shard, randomUUID()) });
    await txn.commit();
    marker = BigInt(meta.baseOffset ?? meta.offset ?? '0');
  } catch (err) {
    await txn.abort().catch(() => undefined);
    throw err;
  }
  const recent = await readProgress(kafka, topic, marker > TAIL ? marker - TAIL : 0n, marker, timeoutMs);
  if (recent.found >= 0 || marker <= TAIL) return recent.found;
  return (await readProgress(kafka, topic, 0n, marker, timeoutMs)).found; // many failed terms in a row: read it all
}

/** Reads [from, marker) of partition 0 with read_committed, waiting until the marker's offset is reached. */
async function readProgress(kafka: Kafka, topic: string, from: bigint, marker: bigint, timeoutMs: number): Promise<{ found: number }> {
  const values: Array<Buffer | null> = [];
  const consumer = kafka.consumer({ groupId: `mainspring-outbox-progress-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    // From the beginning, then the seek below: a first fetch that goes out before the seek takes effect then reads
    // from the log start, in order, instead of from the end — whose empty batch (last offset = high watermark − 1,
    // past the marker) ended the read before [from, marker) was read: the last committed batch came out too low and
    // was published again (rehearsal, seed 11, after a worker kill).
    await consumer.subscribe({ topic, fromBeginning: true });
    let timer: NodeJS.Timeout | undefined;
    const read = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`reading ${topic} up to offset ${marker} timed out after ${timeoutMs} ms`)), timeoutMs);
      // By a batch's last offset: commit markers and aborted records take offsets no record is delivered for.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic === topic && BigInt(payload.lastOffset) >= marker) resolve();
      });
    });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void (BigInt(message.offset) < marker && values.push(message.value)) });
    consumer.seek({ topic, partition: 0, offset: from.toString() });
    await read.finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect();
  }
  return { found: lastBatchOf(values) };
}
