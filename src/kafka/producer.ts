import type { Kafka, Producer } from 'kafkajs';
import type { EventEnvelope } from '../../schemas';

/**
 * An idempotent producer (no duplicates from its own retries, order kept per partition). One per process,
 * shared by the bridge's DLQ writes and the activities that publish events.
 */
export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/** Publishes envelopes keyed by their subject (the partition key), waiting for all in-sync replicas. */
export async function publishEvents(producer: Producer, topic: string, envelopes: ReadonlyArray<EventEnvelope<unknown>>): Promise<void> {
  if (envelopes.length === 0) return;
  await producer.send({
    topic,
    acks: -1,
    messages: envelopes.map((e) => ({ key: e.subject, value: JSON.stringify(e), headers: { 'content-type': 'application/cloudevents+json' } })),
  });
}
