// Pure parts of the outbox: which shard a record belongs to, what one Kafka transaction carries, and what a new
// leader concludes about the rows an earlier leader attempted. No I/O.
import type { TopicMessages } from 'kafkajs';

/** Shards when MAINSPRING_OUTBOX_SHARDS is unset: a relay each, spread over the workers by their leader locks. */
export const DEFAULT_OUTBOX_SHARDS = 4;

/**
 * The shard of a record key: FNV-1a (32 bit) mod `shards`. Stable across processes and versions — a row's shard is
 * stamped when it is written, so changing this moves nothing already queued. Records of one key share a shard and
 * so keep their order (one relay publishes a shard, in row order).
 */
export function shardOf(key: string | null, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`outbox shards must be a positive integer, got ${shards}`);
  if (key === null) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/**
 * Transactional ids (and progress topics) start with this unless MAINSPRING_OUTBOX_TRANSACTIONAL_ID_PREFIX says
 * otherwise. Two deployments on one Kafka cluster need different prefixes: the same id fences the other's relay.
 */
export const DEFAULT_TRANSACTIONAL_ID_PREFIX = 'mainspring-outbox';

/** One relay per shard in all workers together: the leader holds this PostgreSQL advisory lock (two-int form). */
export const OUTBOX_LOCK_CLASS = 0x6d737072; // "mspr"

/** Channel the insert notifies (in its transaction, so the relay wakes once the row is visible). */
export const OUTBOX_CHANNEL_PREFIX = 'mainspring_outbox_';
export const outboxChannel = (shard: number): string => `${OUTBOX_CHANNEL_PREFIX}${shard}`;

/**
 * The shard's Kafka transactional id. One per shard, the same in every worker: a new leader's InitProducerId bumps
 * the epoch, which aborts the previous leader's open transaction and makes its later sends and commits fail.
 */
export const outboxTransactionalId = (prefix: string, shard: number): string => `${prefix}-${shard}`;

/** A row as the relay publishes it. */
export interface OutboxRow {
  id: number;
  eventId: string;
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Header on every record a relay publishes: `<transactional id>:<batch>:<term>` — which transaction wrote this copy
 * (a term is one lead of one relay). For tracing a record back to its relay; consumers may ignore it.
 */
export const OUTBOX_TXN_HEADER = 'mainspring-outbox-txn';

/** The messages of one transaction, grouped by topic, in row order (kafkajs keeps that order per partition). */
export function transactionMessages(rows: ReadonlyArray<OutboxRow>, txn?: string): TopicMessages[] {
  const topics = new Map<string, TopicMessages>();
  for (const row of [...rows].sort((a, b) => a.id - b.id)) {
    let entry = topics.get(row.topic);
    if (!entry) topics.set(row.topic, (entry = { topic: row.topic, messages: [] }));
    entry.messages.push({ key: row.key, value: row.value, headers: txn === undefined ? row.headers : { ...row.headers, [OUTBOX_TXN_HEADER]: txn } });
  }
  return [...topics.values()];
}

/**
 * The transaction's messages (partitions set) as one produce request per partition, sent one after the other. kafkajs sends a batch
 * spanning several brokers as concurrent requests, and when one of them fails it retries while the others are still
 * in flight and sends those again with new sequence numbers: both copies land in the transaction (`npm run rehearse`
 * found payments.flagged twice at adjacent offsets; per-leader requests were not enough — after a leader move one
 * request spans two brokers again, and with retries 20 ms apart payments.scored was written twice). A request for one
 * partition reaches one broker whatever the metadata says, so kafkajs's retries (CONCURRENT_TRANSACTIONS above all)
 * are safe. The cost: an AddPartitionsToTxn and a produce round trip per partition of the transaction.
 */
export function requestsByPartition(batches: ReadonlyArray<TopicMessages>): TopicMessages[][] {
  const partitions = new Map<string, TopicMessages>();
  for (const { topic, messages } of batches) {
    for (const message of messages) {
      if (message.partition === undefined) throw new Error('requestsByPartition needs every message to carry its partition (withPartitions)');
      const key = `${topic}\n${message.partition}`;
      let request = partitions.get(key);
      if (!request) partitions.set(key, (request = { topic, messages: [] }));
      request.messages.push(message);
    }
  }
  return [...partitions.values()].map((request) => [request]);
}

/**
 * The shard's progress topic (one partition, compacted): each transaction also writes its batch number there, so
 * the number commits or aborts with the records. Only the shard's transactional id writes it, so once a new leader's
 * InitProducerId has completed the previous transaction, nothing holds its last stable offset back and its last
 * committed record is exactly the last batch that reached the topics. (A consumer-group offset committed in the
 * transaction would do the same at three more round trips per transaction.)
 */
export const progressTopicOf = (transactionalId: string): string => `${transactionalId}.progress`;

/** The progress record of a transaction: the batch number as the value (compaction keeps the latest per key). */
export function progressMessages(transactionalId: string, shard: number, batch: number): TopicMessages {
  return { topic: progressTopicOf(transactionalId), messages: [{ key: `${shard}:batch`, value: String(batch) }] };
}

/** What a new leader writes before reading the progress topic back (progress.ts lastCommittedBatch). */
export function takeoverMessages(topic: string, shard: number, token: string): TopicMessages {
  return { topic, messages: [{ key: `${shard}:takeover`, value: `takeover:${token}` }] };
}

/**
 * What a new leader does with rows attempted but not marked sent: those of a batch at or below the last committed
 * batch number are on the topic (mark them sent); the others' transaction was aborted or fenced (publish again).
 */
export function reconcileAttempted<R extends { id: number; batch: number | null }>(rows: ReadonlyArray<R>, committedBatch: number): { sent: number[]; resend: number[] } {
  const sent: number[] = [];
  const resend: number[] = [];
  for (const row of rows) (row.batch !== null && row.batch <= committedBatch ? sent : resend).push(row.id);
  return { sent, resend };
}

/** The last batch number among committed progress records (-1: none). */
export function lastBatchOf(values: ReadonlyArray<Buffer | null>): number {
  let max = -1;
  for (const v of values) if (v !== null && /^\d+$/.test(v.toString())) max = Math.max(max, Number(v.toString()));
  return max;
}
