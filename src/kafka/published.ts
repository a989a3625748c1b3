import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { CE_HEADER_PREFIX } from './cloudevents-binding';
import { headerString } from './topic-snapshot';

/**
 * Is an envelope with this id already on `topic`, written at or after `sinceMs`? Reads every partition from the
 * offset of `sinceMs` to its current end with a throw-away group that commits nothing.
 *
 * For retried publishing activities only: when an attempt's publish landed but its completion never reached
 * Temporal (worker killed, Temporal down), the retry finds the record here instead of writing a second copy.
 */
export async function publishedSince(kafka: Kafka, topic: string, eventId: string, sinceMs: number, timeoutMs = 20_000): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  let ranges: Array<{ partition: number; from: bigint; to: bigint }>;
  try {
    const [starts, ends] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, sinceMs), admin.fetchTopicOffsets(topic)]);
    const startOf = new Map(starts.map((s) => [s.partition, BigInt(s.offset)]));
    ranges = ends
      .map((e) => ({ partition: e.partition, from: startOf.get(e.partition) ?? BigInt(e.high), to: BigInt(e.high) }))
      .map((r) => ({ ...r, from: r.from < 0n ? r.to : r.from }))
      .filter((r) => r.from < r.to);
  } finally {
    await admin.disconnect();
  }
  if (ranges.length === 0) return false;
  const needle = Buffer.from(`"id":"${eventId}"`);
  const idHeader = `${CE_HEADER_PREFIX}id`;
  const pending = new Set(ranges.map((r) => r.partition));
  const consumer = kafka.consumer({ groupId: `mainspring-publish-check-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`checking ${topic} for ${eventId} timed out after ${timeoutMs} ms`)), timeoutMs);
      const done = (found: boolean) => {
        clearTimeout(timer);
        resolve(found);
      };
      let seeked = false;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (seeked) return;
        seeked = true;
        for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: r.from.toString() });
      });
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const range = ranges.find((r) => r.partition === partition);
          if (!range || BigInt(message.offset) < range.from) return;
          // Structured mode carries the id in the value, binary mode in the ce_id header (CloudEventsMode).
          if (message.value?.includes(needle) || headerString(message.headers, idHeader) === eventId) return done(true);
          if (BigInt(message.offset) >= range.to - 1n) pending.delete(partition);
          if (pending.size === 0) done(false);
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}
