import type { Kafka, Producer } from 'kafkajs';
import type { EventEnvelope } from '../../schemas';
import { traceHeaders } from '../observability/trace-context';

/**
 * An idempotent producer (no duplicates from its own retries, order kept per partition). One per process,
 * shared by the bridge's DLQ writes and the activities that publish events.
 */
export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/** What one process remembers of its sends, per producer: those still in flight and the last ones acknowledged. */
interface SendMemory {
  pending: Map<string, Promise<void>>;
  /** Insertion-ordered, trimmed to RECENTLY_SENT_LIMIT: a retried activity attempt arrives within minutes. */
  sent: Set<string>;
}

const RECENTLY_SENT_LIMIT = 50_000;
const memories = new WeakMap<Producer, SendMemory>();

function memoryOf(producer: Producer): SendMemory {
  let memory = memories.get(producer);
  if (!memory) memories.set(producer, (memory = { pending: new Map(), sent: new Set() }));
  return memory;
}

const sendKey = (topic: string, ids: ReadonlyArray<string>) => `${topic}\n${ids.join(',')}`;

/**
 * What this process knows of an earlier send of exactly these envelope ids to `topic` through `producer`: still in
 * flight (join it), acknowledged, or nothing (never sent here, or the send failed).
 */
export function earlierSend(producer: Producer, topic: string, ids: ReadonlyArray<string>): { state: 'in-flight'; done: Promise<void> } | { state: 'acknowledged' } | undefined {
  const memory = memoryOf(producer);
  const key = sendKey(topic, ids);
  const pending = memory.pending.get(key);
  if (pending) return { state: 'in-flight', done: pending };
  return memory.sent.has(key) ? { state: 'acknowledged' } : undefined;
}

/**
 * Publishes envelopes keyed by their subject (the partition key), waiting for all in-sync replicas.
 *
 * The idempotent producer retries without limit, so during a broker outage a send outlives the activity attempt that
 * made it; that attempt's retry sent a second copy and both landed once the broker was back (found by `mainspring
 * chaos`: two payments.flagged records for one payment after a Kafka kill). Envelopes published again while their
 * first send is still pending in this process join that send instead. Callers that must not repeat an acknowledged
 * send ask `earlierSend` first (activities/shared.ts publishEffect).
 */
export async function publishEvents(producer: Producer, topic: string, envelopes: ReadonlyArray<EventEnvelope<unknown>>): Promise<void> {
  if (envelopes.length === 0) return;
  const memory = memoryOf(producer);
  const key = sendKey(topic, envelopes.map((e) => e.id));
  const running = memory.pending.get(key);
  if (running) return running;
  const send = sendEnvelopes(producer, topic, envelopes)
    .then(() => {
      memory.sent.add(key);
      if (memory.sent.size > RECENTLY_SENT_LIMIT) memory.sent.delete(memory.sent.values().next().value as string);
    })
    .finally(() => memory.pending.delete(key));
  memory.pending.set(key, send);
  return send;
}

async function sendEnvelopes(producer: Producer, topic: string, envelopes: ReadonlyArray<EventEnvelope<unknown>>): Promise<void> {
  // The active span's context (an activity's, when tracing is on) travels along: consumers continue the same trace.
  const headers = { 'content-type': 'application/cloudevents+json', ...traceHeaders() };
  await producer.send({
    topic,
    acks: -1,
    messages: envelopes.map((e) => ({ key: e.subject, value: JSON.stringify(e), headers })),
  });
}
