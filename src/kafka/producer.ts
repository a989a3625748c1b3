import { Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import type { EventEnvelope } from '../../schemas';
import { traceHeaders } from '../observability/trace-context';
import { DEFAULT_CLOUDEVENTS_MODE, encodeRecord, type CloudEventsMode } from './cloudevents-binding';
import { PartitionRouter, sendEveryPartition, withPartitions, type ResendNotice } from './partitioned-send';

/**
 * An idempotent producer (no duplicates from its own retries, order kept per partition). One per process,
 * shared by the bridge's DLQ writes and the activities that publish events.
 */
export async function connectProducer(kafka: Kafka, options: { cloudEventsMode?: CloudEventsMode } = {}): Promise<Producer> {
  // One request in flight per broker: kafkajs's idempotent producer keeps sequence numbers in order only so. Sends
  // made meanwhile are coalesced into the next request instead (coalescerOf), which is where throughput comes from.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // kafkajs 2's default (murmur2 of the key, as the Java client): every record on existing topics was placed by
    // it, so a key keeps its partition and its per-key order. The legacy one would move keys. Named, it is no warning.
    createPartitioner: Partitioners.DefaultPartitioner,
    // Unbounded, as the idempotent producer needs: a batch given up after N retries may still have been written, and
    // the next batch then reuses its sequence number — the broker acknowledges it as a duplicate and drops it. A
    // caller's wait is bounded instead (publishEvents' timeout), and the send it stops waiting for goes on.
    // The wait between tries is capped at 5 s (kafkajs: 30 s): after a broker restart, sends resume within seconds
    // instead of sitting out a backoff grown during the outage (seen: 25 s stalls after a leader kill).
    retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 5_000 },
  });
  await producer.connect();
  if (options.cloudEventsMode !== undefined) cloudEventsModes.set(producer, options.cloudEventsMode);
  const log = kafka.logger();
  coalescers.set(
    producer,
    new SendCoalescer(producer, new PartitionRouter(kafka), (missing, attempt) =>
      log.warn('Kafka acknowledged a send without some partitions; sending those again', { missing: missing.map((b) => `${b.topic}: ${b.messages.length} records`), attempt }),
    ),
  );
  return producer;
}

/** How each producer writes envelopes (publishEvents); structured unless connectProducer was told otherwise. */
const cloudEventsModes = new WeakMap<Producer, CloudEventsMode>();

interface Outgoing {
  topic: string;
  messages: Message[];
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Coalesces the sends of one producer: those made while a request is in flight (or in the same event-loop turn) go
 * out together as one produce request. With one request in flight per broker, a worker publishing for 50 sagas at a
 * time otherwise queues 50 requests, each waiting for the previous acknowledgement. Order is kept: a batch lists
 * the sends in the order they were made, and kafkajs keeps that order per partition. Each request is checked to
 * cover every partition it wrote to (partitioned-send.ts says why), and what it lacks goes again before anything else.
 */
export class SendCoalescer {
  private queue: Outgoing[] = [];
  private flushing = false;

  constructor(
    private readonly producer: Pick<Producer, 'sendBatch'>,
    private readonly router: Pick<PartitionRouter, 'routeFor' | 'forget'>,
    private readonly onResend?: ResendNotice,
  ) {}

  send(topic: string, messages: Message[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, messages, resolve, reject });
      if (this.flushing) return;
      this.flushing = true;
      // Sends of the same turn (a batch of saga completions) join the first request.
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        const topics = byTopic(batch);
        const route = await this.router.routeFor(topics.map((t) => t.topic));
        await sendEveryPartition(this.producer, withPartitions(topics, route), { onResend: this.onResend });
        for (const b of batch) b.resolve();
      } catch (err) {
        // A topic may have gained partitions or been recreated: the next request looks again.
        this.router.forget();
        // All of them fail, even if some partitions took their part: sending those again here could write copies.
        // Each caller decides.
        for (const b of batch) b.reject(err);
      }
    }
    this.flushing = false;
  }
}

function byTopic(batch: readonly Outgoing[]): TopicMessages[] {
  const topics = new Map<string, Message[]>();
  for (const b of batch) {
    const messages = topics.get(b.topic);
    if (messages) messages.push(...b.messages);
    else topics.set(b.topic, [...b.messages]);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

/** Each producer's coalescer, made by connectProducer: its sends share one queue and one partition router. */
const coalescers = new WeakMap<Producer, SendCoalescer>();

function coalescerOf(producer: Producer): SendCoalescer {
  const coalescer = coalescers.get(producer);
  if (!coalescer) throw new Error('publishing needs a producer made by connectProducer (it checks every partition was written)');
  return coalescer;
}

/**
 * Sends records (partition keys set, values encoded) through the producer's coalescer, waiting for all in-sync
 * replicas and for every partition's acknowledgement. Unlike publishEvents, the same records sent twice are written
 * twice.
 */
export function sendRecords(producer: Producer, topic: string, messages: Message[]): Promise<void> {
  return coalescerOf(producer).send(topic, messages);
}

/** Sends of each producer still in flight, by topic and envelope ids: the same send made again joins it. */
const pendingSends = new WeakMap<Producer, Map<string, Promise<void>>>();

function pendingOf(producer: Producer): Map<string, Promise<void>> {
  let pending = pendingSends.get(producer);
  if (!pending) pendingSends.set(producer, (pending = new Map()));
  return pending;
}

const sendKey = (topic: string, ids: ReadonlyArray<string>) => `${topic}\n${ids.join(',')}`;

/** What publishEvents did: wrote the envelopes, or waited for the same send already in flight. */
export type SendOutcome = 'sent' | 'joined';

/**
 * Publishes envelopes keyed by their subject (the partition key), waiting for all in-sync replicas.
 *
 * The idempotent producer retries without limit, so during a broker outage a send outlives the caller's wait; the
 * same envelopes published again while their first send is still pending in this process join that send instead of
 * writing a copy. (Saga effects do not come here: they go through the outbox, src/kafka/outbox/.)
 */
export async function publishEvents(producer: Producer, topic: string, envelopes: ReadonlyArray<EventEnvelope<unknown>>, options: { timeoutMs?: number } = {}): Promise<SendOutcome> {
  if (envelopes.length === 0) return 'sent';
  const pending = pendingOf(producer);
  const key = sendKey(topic, envelopes.map((e) => e.id));
  const running = pending.get(key);
  if (running) {
    await boundedWait(running, options.timeoutMs, topic);
    return 'joined';
  }
  const send = sendEnvelopes(producer, topic, envelopes).finally(() => pending.delete(key));
  pending.set(key, send);
  await boundedWait(send, options.timeoutMs, topic);
  return 'sent';
}

/** A send whose acknowledgement did not arrive in time. It may still land: retrying joins it (publishEvents). */
export class SendTimeoutError extends Error {
  readonly code = 'KAFKA_SEND_TIMEOUT';
}

/** How long a caller waits for an acknowledgement; the producer itself retries without limit (connectProducer). */
export const SEND_TIMEOUT_MS = 30_000;

/** The send stays pending (in `pendingSends`) after the wait ends, so a retry joins it rather than sending a copy. */
async function boundedWait(send: Promise<void>, timeoutMs = SEND_TIMEOUT_MS, topic: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      send,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SendTimeoutError(`no acknowledgement from Kafka for ${topic} within ${timeoutMs} ms (the send goes on)`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function sendEnvelopes(producer: Producer, topic: string, envelopes: ReadonlyArray<EventEnvelope<unknown>>): Promise<void> {
  // The active span's context (an activity's, when tracing is on) travels along: consumers continue the same trace.
  const trace = traceHeaders();
  const mode = cloudEventsModes.get(producer) ?? DEFAULT_CLOUDEVENTS_MODE;
  await coalescerOf(producer).send(
    topic,
    envelopes.map((e) => {
      const record = encodeRecord(e, mode);
      return { ...record, headers: { ...record.headers, ...trace } };
    }),
  );
}
