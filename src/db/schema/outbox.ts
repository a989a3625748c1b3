// The transactional outbox of saga effects (src/kafka/outbox/): an activity inserts the Kafka record it means to
// publish, keyed by its event id, in the same statement or transaction as its database write; one relay per shard
// publishes the rows in Kafka transactions. Insert-if-absent, so any number of attempts and workers write one row.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea } from './models';

const ts = (name: string) => timestamp(name, { withTimezone: true });

export const outbox = pgTable(
  'outbox',
  {
    /** Publish order within a shard (rows of one key share a shard, so a key keeps its order). */
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    eventId: text('event_id').notNull().unique('outbox_event_id_unique'),
    topic: text('topic').notNull(),
    /** The record key (the envelope's subject): Kafka's partitioner and the shard both hash it. */
    key: text('key'),
    value: bytea('value').notNull(),
    headers: jsonb('headers').$type<Record<string, string>>().notNull(),
    shard: integer('shard').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    /** A relay put the row in a Kafka transaction (`batch`); without `sent_at`, whether it committed is unknown. */
    attemptedAt: ts('attempted_at'),
    /** Sequence number of the shard's Kafka transaction that last carried the row (committed with it as an offset). */
    batch: bigint('batch', { mode: 'number' }),
    sentAt: ts('sent_at'),
  },
  (t) => [index('outbox_unsent_idx').on(t.shard, t.id).where(sql`${t.sentAt} is null`), index('outbox_sent_at_idx').on(t.sentAt)],
);
