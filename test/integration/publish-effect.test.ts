// A saga effect publishes its event once across activity attempts (activities/shared.ts publishEffect), on the real
// broker: retries in the same process join or trust the earlier send; a retry in another process (a fresh producer,
// as after a worker was killed) finds the earlier copy on the topic.
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import { publishEffect } from '../../activities/shared';
import { createEvent, paymentFlagRetractedV1, type EventEnvelope } from '../../schemas';
import { connectProducer } from '../../src/kafka/producer';
import { createTopics, deleteTopics, testKafka } from '../helpers/kafka';
import { uniqueName } from '../helpers/stack-env';

const topic = uniqueName('publish-effect');
let kafka: Kafka;
const producers: Producer[] = [];
const logs: Array<{ msg: string; how?: string; eventId?: string }> = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });

beforeAll(async () => {
  kafka = testKafka();
  await createTopics(kafka, [topic], 3);
});

afterAll(async () => {
  await Promise.all(producers.map((p) => p.disconnect()));
  await deleteTopics(kafka, [topic]);
});

/** A worker process's producer: each one has its own memory of what it sent. */
async function workerProducer(): Promise<Producer> {
  const producer = await connectProducer(kafka);
  producers.push(producer);
  return producer;
}

function flagRetracted(): EventEnvelope<unknown> {
  const paymentId = `pay-${randomUUID()}`;
  return createEvent(paymentFlagRetractedV1, {
    id: randomUUID(),
    source: 'test/publish-effect',
    data: { paymentId, workflowId: `payment-${paymentId}`, reason: 'manual-review', flagEventId: randomUUID(), detail: 'test' },
  });
}

/** Runs publishEffect as activity attempt `attempt`, first scheduled a moment ago. */
function attempt(producer: Producer, envelope: EventEnvelope<unknown>, attemptNo: number): Promise<void> {
  const env = new MockActivityEnvironment({ attempt: attemptNo, scheduledTimestampMs: Date.now() - 5_000 });
  return env.run(() => publishEffect({ producer, kafka, logger }, topic, envelope));
}

async function copiesOnTopic(eventId: string): Promise<number> {
  const consumer = kafka.consumer({ groupId: uniqueName('count') });
  const admin = kafka.admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  await admin.disconnect();
  let seen = 0;
  let copies = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      if (total === 0) return resolve();
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value?.toString().includes(eventId)) copies += 1;
          if (++seen >= total) resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return copies;
}

const skipsOf = (eventId: string) => logs.filter((l) => l.eventId === eventId && l.msg.startsWith('an earlier attempt already published')).map((l) => l.how);

describe('publishEffect across activity attempts', () => {
  it('a retry after an acknowledged send in the same process publishes nothing and reads no topic', async () => {
    const producer = await workerProducer();
    const envelope = flagRetracted();
    await attempt(producer, envelope, 1);
    await attempt(producer, envelope, 2);
    await attempt(producer, envelope, 3);
    expect(await copiesOnTopic(envelope.id)).toBe(1);
    expect(skipsOf(envelope.id)).toEqual(['acknowledged in this process', 'acknowledged in this process']);
  });

  it('a retry that starts while the first send is still in flight joins it', async () => {
    const producer = await workerProducer();
    const envelope = flagRetracted();
    const first = attempt(producer, envelope, 1);
    const second = attempt(producer, envelope, 2);
    await Promise.all([first, second]);
    expect(await copiesOnTopic(envelope.id)).toBe(1);
    expect(skipsOf(envelope.id)).toEqual(['joined its send in this process']);
  });

  it('overlapping attempts in one process: the first publishes while the retry looks at the topic; one copy', async () => {
    const producer = await workerProducer();
    const envelope = flagRetracted();
    // The retry starts its look first (nothing known here yet); the first attempt, past its start-to-close timeout
    // but still running, publishes meanwhile. Whether the look sees that record or not, the retry must not send.
    const retry = attempt(producer, envelope, 2);
    const first = attempt(producer, envelope, 1);
    await Promise.all([retry, first]);
    expect(await copiesOnTopic(envelope.id)).toBe(1);
    expect(skipsOf(envelope.id)).toHaveLength(1);
  });

  it('a stale first attempt that reaches its publish after the retry published writes no second copy', async () => {
    const producer = await workerProducer();
    const envelope = flagRetracted();
    await attempt(producer, envelope, 2);
    await attempt(producer, envelope, 1);
    expect(await copiesOnTopic(envelope.id)).toBe(1);
    expect(skipsOf(envelope.id)).toEqual(['acknowledged in this process']);
  });

  it('a retry in another process finds the earlier copy on the topic instead of writing a second', async () => {
    const killedWorker = await workerProducer();
    const nextWorker = await workerProducer();
    const envelope = flagRetracted();
    await attempt(killedWorker, envelope, 1);
    await attempt(nextWorker, envelope, 2);
    expect(await copiesOnTopic(envelope.id)).toBe(1);
    expect(skipsOf(envelope.id)).toEqual(['found on the topic']);
  });

  it('a retry whose earlier attempt never published publishes once', async () => {
    const producer = await workerProducer();
    const envelope = flagRetracted();
    await attempt(producer, envelope, 4);
    expect(await copiesOnTopic(envelope.id)).toBe(1);
    expect(skipsOf(envelope.id)).toEqual([]);
  });
});
