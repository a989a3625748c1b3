// Reads one partition's offset range with a short-lived consumer: its own throw-away group, no commits, seek to the
// start, stop at the end or after `max` records. Replay never moves a real consumer group.
import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface RangeRead {
  messages: KafkaMessage[];
  /** First offset not read: `end` when the range was read to its end. */
  next: number;
}

export interface ReadRangeOptions {
  topic: string;
  partition: number;
  start: number;
  /** Exclusive. */
  end: number;
  max: number;
  /** Called after every batch (activities heartbeat here). */
  onBatch?: (read: number) => void;
  /** Fail when no record arrives for this long although the range is not read yet. Default 60 s. */
  idleTimeoutMs?: number;
  /** Stop reading (with an error) when this aborts: the activity is cancelled or its worker shuts down. */
  signal?: AbortSignal;
}

export class ReplayReadError extends Error {
  readonly code = 'REPLAY_READ_STALLED';
}

export async function readPartitionRange(kafka: Kafka, o: ReadRangeOptions): Promise<RangeRead> {
  if (o.start >= o.end || o.max <= 0) return { messages: [], next: o.start };
  const consumer = kafka.consumer({ groupId: `mainspring-replay-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  const messages: KafkaMessage[] = [];
  let next = o.start;
  let lastProgress = Date.now();
  let watchdog: NodeJS.Timeout | undefined;
  await consumer.connect();
  try {
    // fromBeginning false: the other partitions sit at their end and fetch nothing; ours is moved by the seek.
    await consumer.subscribe({ topic: o.topic, fromBeginning: false });
    let settle!: () => void;
    let fail!: (err: Error) => void;
    const finished = new Promise<void>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    let done = false;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch }) => {
        if (done || batch.topic !== o.topic || batch.partition !== o.partition) return;
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset < next) continue;
          if (offset >= o.end || messages.length >= o.max) {
            done = true;
            break;
          }
          messages.push(m);
          next = offset + 1;
        }
        // Offsets without a record (control records, compaction) still move the checkpoint, up to the range end.
        if (!done && messages.length < o.max) next = Math.max(next, Math.min(o.end, Number(batch.lastOffset()) + 1));
        if (next >= o.end || messages.length >= o.max) done = true;
        lastProgress = Date.now();
        o.onBatch?.(messages.length);
        if (done) settle();
      },
    });
    consumer.seek({ topic: o.topic, partition: o.partition, offset: String(o.start) });
    const onAbort = (): void => fail(new Error(`${o.topic}[${o.partition}]: reading interrupted at offset ${next} (${String(o.signal?.reason ?? 'cancelled')})`));
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const idle = o.idleTimeoutMs ?? 60_000;
    watchdog = setInterval(() => {
      if (!done && Date.now() - lastProgress > idle) {
        fail(new ReplayReadError(`${o.topic}[${o.partition}]: no records for ${idle} ms at offset ${next} (range ends at ${o.end})`));
      }
    }, 1_000);
    await finished;
  } finally {
    if (watchdog) clearInterval(watchdog);
    await consumer.disconnect();
  }
  return { messages, next };
}
