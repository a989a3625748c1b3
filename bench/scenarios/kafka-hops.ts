// The Kafka hops of a saga, each setting next to its alternative on the same broker in the same run:
//  - publishing: what a worker does when many sagas finish at once — N envelopes published by C concurrent callers
//    through the idempotent producer (one request in flight per broker), coalesced into shared requests (what
//    src/kafka/producer.ts publishEvents does) vs one request per envelope (kafkajs `send` per call);
//  - consuming: produce → seen by a consumer, one record at a time, with the bridge's fetch settings.
import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { createEvent, paymentScoredV1 } from '../../schemas';
import { connectProducer, publishEvents } from '../../src/kafka/producer';
import type { KafkaHopsOptions } from '../lib/config';
import { checkAborted, type BenchContext } from '../lib/context';
import { ratio, summarize } from '../lib/stats';


function envelope(i: number, run: string) {
  return createEvent(paymentScoredV1, {
    id: `${run}-${i}`,
    source: 'mainspring/bench',
    correlationId: `${run}-${i}`,
    data: { paymentId: `pay-${run}-${i}`, decision: 'APPROVE', score: 0.1, modelVersion: 'bench', reasons: [], fallback: false, workflowId: `payment-${run}-${i}` },
  });
}

/** Publishes `count` envelopes from `concurrency` callers; returns envelopes per second. */
async function publishRun(count: number, concurrency: number, publish: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await publish(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** `topics`: two empty topics of the run's own, one to publish to, one for the round trips. */
export async function kafkaHopsScenario(ctx: BenchContext, kafka: Kafka, topics: { publish: string; roundTrip: string }, options: KafkaHopsOptions): Promise<void> {
  const topic = topics.publish;
  const producer: Producer = await connectProducer(kafka);
  try {
    const run = randomUUID().slice(0, 8);
    // Warm the connection and metadata so neither side pays for them.
    await publishEvents(producer, topic, [envelope(-1, run)]);
    ctx.progress(`kafka hops: ${options.envelopes} envelopes from ${options.concurrency} concurrent publishers, coalesced then one request each`);
    const coalesced = await publishRun(options.envelopes, options.concurrency, (i) => publishEvents(producer, topic, [envelope(i, `${run}c`)]).then(() => undefined));
    checkAborted(ctx.signal);
    const perSend = await publishRun(options.envelopes, options.concurrency, async (i) => {
      const e = envelope(i, `${run}s`);
      await producer.send({ topic, acks: -1, messages: [{ key: e.subject, value: JSON.stringify(e) }] });
    });
    checkAborted(ctx.signal);
    ctx.rows.push({
      section: 'kafka',
      metric: `publish ${options.envelopes} events, ${options.concurrency} at a time (idempotent producer, acks all)`,
      mainspring: { value: coalesced, unit: 'ev/s', note: 'sends coalesced per request' },
      other: { name: 'one produce request per send', value: perSend, unit: 'ev/s' },
      ratio: { value: ratio(coalesced, perSend), label: 'coalesced ÷ per send' },
    });

    ctx.progress(`kafka hops: ${options.roundTrips} produce → consume round trips, one at a time`);
    const latencies = await roundTrips(kafka, producer, topics.roundTrip, options.roundTrips, run);
    const s = summarize(latencies);
    ctx.rows.push({
      section: 'kafka',
      metric: 'produce (acks all) → consumer sees it, one at a time: p50 / p99',
      mainspring: { value: s.n > 0 ? s.p50 : null, unit: 'ms', note: `p99 ${s.n > 0 ? s.p99.toFixed(1) : '-'} ms` },
    });
    ctx.details.kafkaHops = { coalescedPerSecond: coalesced, perSendPerSecond: perSend, roundTrip: s, options };
  } finally {
    await producer.disconnect();
  }
}

/** Sends one record at a time and waits until a consumer (the bridge's fetch settings) has it. */
async function roundTrips(kafka: Kafka, producer: Producer, topic: string, count: number, run: string): Promise<number[]> {
  const consumer = kafka.consumer({ groupId: `bench-hops-${run}`, maxBytesPerPartition: 1024 * 1024 });
  const waiting = new Map<string, () => void>();
  await consumer.connect();
  try {
    // The topic is empty before the first round trip: from the beginning means from there.
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let joined!: () => void;
    const ready = new Promise<void>((r) => (joined = r));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) waiting.get(String(m.key))?.();
      },
    });
    await Promise.race([ready, new Promise((r) => setTimeout(r, 30_000))]);
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const key = `${run}-rt-${i}`;
      let seenAt: number | undefined;
      const seen = new Promise<void>((resolve) => waiting.set(key, () => resolve(void (seenAt ??= performance.now()))));
      const started = performance.now();
      await producer.send({ topic, acks: -1, messages: [{ key, value: '{}' }] });
      await Promise.race([seen, new Promise((r) => setTimeout(r, 5_000))]);
      if (seenAt !== undefined) out.push(seenAt - started);
      waiting.delete(key);
    }
    return out;
  } finally {
    await consumer.disconnect();
  }
}
