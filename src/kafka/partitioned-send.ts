// Sends that check Kafka's acknowledgement covers every partition they wrote to.
//
// kafkajs 2.2.4 can resolve a send without having written all of it. Its sendMessages keeps, across the retries of one
// send, the responses of the brokers that answered — keyed by broker. When a partition's leader dies mid-send and the
// partition moves to a broker that had already answered for other partitions, the retry sends nothing for it and the
// send resolves with that partition missing from its result (reproduced by killing partition leaders under load on a
// three-broker cluster: 2 of ~1,800 sends, 6 of 21,948 records lost; the rehearsal lost a load-generator record so).
// The records are not on the topic, and the producer's sequence number for that partition went back to theirs, so the
// next send there is refused as out of order — or, with as many records, taken for a duplicate and dropped.
//
// The fix here: give every message its partition before sending (as kafkajs's default partitioner would pick it), and
// send again at once whatever partition the result lacks — with the same records, so the same sequence numbers: a copy
// that did reach the old leader is recognised by the new one as a duplicate.
import { whileKafkaSettles } from './client';
import { Partitioners, type Kafka, type Message, type PartitionMetadata, type Producer, type RecordMetadata, type TopicMessages } from 'kafkajs';

const FETCH_TIMEOUT_MS = 7_000;

/** The partition a message goes to. */
export type Route = (topic: string, message: Message) => number;

/**
 * Partitions of topics, from their metadata (fetched once per topic, again after `maxAgeMs` — kafkajs's own
 * metadataMaxAge — or `forget`), and the partition of a message as every producer of its key picks it: kafkajs's
 * default partitioner, murmur2 of the key like the Java client.
 */
export class PartitionRouter {
  private readonly partitions = new Map<string, { metadata: PartitionMetadata[]; fetchedAt: number }>();
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    private readonly kafka: Pick<Kafka, 'admin'>,
    private readonly maxAgeMs = 300_000,
  ) {}

  /** A route for messages of these topics (their metadata fetched if not known, or known for too long). */
  async routeFor(topics: Iterable<string>): Promise<Route> {
    const now = Date.now();
    const stale = [...new Set(topics)].filter((t) => now - (this.partitions.get(t)?.fetchedAt ?? -Infinity) > this.maxAgeMs);
    if (stale.length > 0) {
      for (const t of await this.fetch(stale)) this.partitions.set(t.name, { metadata: t.partitions, fetchedAt: now });
    }
    return (topic, message) => {
      const partitionMetadata = this.partitions.get(topic)?.metadata ?? [];
      if (partitionMetadata.length === 0) throw new Error(`no partitions known for topic ${topic}`);
      return this.partitioner({ topic, partitionMetadata, message });
    };
  }

  /**
   * The topics' metadata. What a broker answers while it catches up — a topic created a moment ago, a leader being
   * elected — is retried for ~7 s, as kafkajs's producer would; a topic still unknown then is named in the error.
   */
  private async fetch(topics: string[]): Promise<Array<{ name: string; partitions: PartitionMetadata[] }>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return (await whileKafkaSettles(() => admin.fetchTopicMetadata({ topics }), { timeoutMs: FETCH_TIMEOUT_MS })).topics;
    } catch (err) {
      throw new Error(`no partition metadata for ${topics.join(', ')}: ${(err as Error).message}`, { cause: err });
    } finally {
      await admin.disconnect();
    }
  }

  /** Leaders move and partitions are added: the next route fetches metadata again. */
  forget(): void {
    this.partitions.clear();
  }
}

/** The same messages, each with its partition set. */
export function withPartitions(batches: ReadonlyArray<TopicMessages>, route: Route): TopicMessages[] {
  return batches.map(({ topic, messages }) => ({ topic, messages: messages.map((m) => ({ ...m, partition: route(topic, m) })) }));
}

/** The messages (partitions set) whose topic-partition the acknowledgement does not list, in their order. */
export function unacknowledged(sent: ReadonlyArray<TopicMessages>, acknowledged: ReadonlyArray<RecordMetadata>): TopicMessages[] {
  const acked = new Set(acknowledged.filter((a) => a.errorCode === 0).map((a) => `${a.topicName}\n${a.partition}`));
  return sent
    .map(({ topic, messages }) => ({ topic, messages: messages.filter((m) => !acked.has(`${topic}\n${partitionOf(m)}`)) }))
    .filter((b) => b.messages.length > 0);
}

function partitionOf(message: Message): number {
  if (message.partition === undefined) throw new Error('unacknowledged needs every message to carry its partition (withPartitions)');
  return message.partition;
}

/** A send Kafka acknowledged without some partitions, still so after `attempts` sends. */
export class IncompleteSendError extends Error {
  readonly code = 'KAFKA_SEND_INCOMPLETE';
  constructor(readonly missing: ReadonlyArray<TopicMessages>) {
    super(`Kafka acknowledged the send without ${missing.map((b) => `${b.topic} [${[...new Set(b.messages.map(partitionOf))].join(',')}]`).join('; ')}`);
  }
}

/** What one send of `sendEveryPartition` did beyond the first request (for a log line). */
export type ResendNotice = (missing: ReadonlyArray<TopicMessages>, attempt: number) => void;

/**
 * sendBatch, then again for the partitions the acknowledgement lacks, until none is missing (at most `attempts`
 * requests). Messages must carry their partitions (withPartitions). Resends follow at once, before any other send of
 * the caller can take the partition's next sequence number: callers serialise their sends (SendCoalescer does).
 */
export async function sendEveryPartition(
  producer: Pick<Producer, 'sendBatch'>,
  topicMessages: ReadonlyArray<TopicMessages>,
  options: { acks?: number; attempts?: number; onResend?: ResendNotice } = {},
): Promise<RecordMetadata[]> {
  const { acks = -1, attempts = 5, onResend } = options;
  const results: RecordMetadata[] = [];
  let pending: TopicMessages[] = [...topicMessages];
  for (let attempt = 1; ; attempt++) {
    const acknowledged = await producer.sendBatch({ acks, topicMessages: pending });
    results.push(...acknowledged);
    pending = unacknowledged(pending, acknowledged);
    if (pending.length === 0) return results;
    if (attempt >= attempts) throw new IncompleteSendError(pending);
    onResend?.(pending, attempt);
  }
}
