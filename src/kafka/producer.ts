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

/** Sends still in flight per producer, by topic + envelope ids (see publishEvents). */
const inFlight = new WeakMap<Producer, Map<string, Promise<void>>>();

/**
 * Publishes envelopes keyed by their subject (the partition key), waiting for all in-sync replicas.
 *
 * The idempotent producer retries without limit, so during a broker outage a send outlives the activity attempt that
 * made it; that attempt's retry sent a second copy and both landed once the broker was back (found by `mainspring
 * chaos`: two payments.flagged records for one payment after a Kafka kill). Envelopes published again while their
 * first send is still pending in this process join that send instead.
 */
export async function publishEvents(producer: Producer, topic: string, envelopes: ReadonlyArray<EventEnvelope<unknown>>): Promise<void> {
  if (envelopes.length === 0) return;
  const pending = inFlight.get(producer) ?? new Map<string, Promise<void>>();
  inFlight.set(producer, pending);
  const key = `${topic}\n${envelopes.map((e) => e.id).join(',')}`;
  const running = pending.get(key);
  if (running) return running;
  const send = sendEnvelopes(producer, topic, envelopes).finally(() => pending.delete(key));
  pending.set(key, send);
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
