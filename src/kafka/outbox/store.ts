// The outbox table's statements (src/db/schema/outbox.ts): the insert an activity makes, and what a shard's relay
// reads and marks. Raw, named statements: every saga runs the insert, and the relay's are prepared on its connection.
import type { Pool } from 'pg';
import type { EventEnvelope } from '../../../schemas';
import { traceHeaders } from '../../observability/trace-context';
import { encodeRecord, type CloudEventsMode } from '../cloudevents-binding';
import { OUTBOX_CHANNEL_PREFIX, shardOf, type OutboxRow } from './shard';

/** A pg Pool or Client. */
export type Queryable = Pick<Pool, 'query'>;

/** One effect as a row: the Kafka record exactly as it will be written, and its shard. */
export interface OutboxEffect {
  eventId: string;
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  shard: number;
}

/** Encodes an envelope as the record the relay will write (the active trace context travels in its headers). */
export function outboxEffect(topic: string, envelope: EventEnvelope<unknown>, options: { cloudEventsMode: CloudEventsMode; shards: number }): OutboxEffect {
  const record = encodeRecord(envelope, options.cloudEventsMode);
  const key = record.key ?? null;
  return {
    eventId: envelope.id,
    topic,
    key,
    value: Buffer.from(record.value),
    headers: { ...record.headers, ...traceHeaders() },
    shard: shardOf(key, options.shards),
  };
}

/**
 * The insert of one effect, as a data-modifying CTE `outbox_insert` whose parameters start at `$first`, so a caller
 * can put it in one statement with its own write (activities/audit.activities.ts: decision record + payments.scored).
 * Conflict on the event id: a retried attempt, a re-run local activity or another worker inserts nothing.
 */
export function enqueueCte(first: number): string {
  const p = (i: number) => `$${first + i}`;
  return `outbox_insert as (
    insert into outbox (event_id, topic, key, value, headers, shard) values (${p(0)}, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}::jsonb, ${p(5)})
    on conflict (event_id) do nothing returning shard),
  outbox_notify as (select pg_notify('${OUTBOX_CHANNEL_PREFIX}' || shard, '') from outbox_insert)`;
}

/** Selects from `enqueueCte` so both CTEs run; NOTIFY is delivered at commit, when the row is visible. */
export const ENQUEUE_NOTIFIED = '(select count(*) from outbox_notify)';

export function enqueueParams(effect: OutboxEffect): unknown[] {
  return [effect.eventId, effect.topic, effect.key, effect.value, JSON.stringify(effect.headers), effect.shard];
}

/** Inserts one effect and wakes its shard's relay, in one statement. True when this call inserted it. */
export async function enqueueEffect(db: Queryable, effect: OutboxEffect): Promise<boolean> {
  const result = await db.query<{ notified: string }>({
    name: 'outbox_enqueue',
    text: `with ${enqueueCte(1)} select ${ENQUEUE_NOTIFIED} as notified`,
    values: enqueueParams(effect),
  });
  return Number(result.rows[0]?.notified ?? 0) > 0;
}

// ---- the relay's statements, on its own connection (which holds the shard's advisory lock) ----

export async function tryLeadShard(client: Queryable, lockClass: number, shard: number): Promise<boolean> {
  const result = await client.query<{ locked: boolean }>({ text: 'select pg_try_advisory_lock($1, $2) as locked', values: [lockClass, shard] });
  return result.rows[0]?.locked === true;
}

interface RowOut {
  id: string;
  event_id: string;
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * Marks the next unsent rows of a shard as attempted in transaction `batch` and returns them, in one statement: at
 * most `maxRows`, and no more than `maxBytes` of values (the first row always). Only rows returned get the batch
 * number, so a committed batch number covers exactly the rows its transaction carried.
 */
export async function claimBatch(client: Queryable, shard: number, batch: number, limits: { maxRows: number; maxBytes: number }): Promise<OutboxRow[]> {
  const result = await client.query<RowOut>({
    name: 'outbox_claim',
    text: `with candidates as (
        select id, sum(octet_length(value) + 256) over (order by id) as running, row_number() over (order by id) as n
        from outbox where shard = $1 and sent_at is null order by id limit $3)
      update outbox o set attempted_at = now(), batch = $2
      from candidates c where o.id = c.id and (c.running <= $4 or c.n = 1)
      returning o.id, o.event_id, o.topic, o.key, o.value, o.headers`,
    values: [shard, batch, limits.maxRows, limits.maxBytes],
  });
  return result.rows
    .map((r) => ({ id: Number(r.id), eventId: r.event_id, topic: r.topic, key: r.key, value: r.value, headers: r.headers }))
    .sort((a, b) => a.id - b.id);
}

export async function markSent(client: Queryable, ids: ReadonlyArray<number>): Promise<void> {
  if (ids.length === 0) return;
  await client.query({ name: 'outbox_mark_sent', text: 'update outbox set sent_at = now() where id = any($1::bigint[])', values: [ids] });
}

/** Rows an earlier leader put in a transaction without marking them sent, and the shard's highest batch number. */
export async function attemptedUnsent(client: Queryable, shard: number): Promise<{ rows: Array<{ id: number; batch: number | null }>; maxBatch: number }> {
  const [rows, max] = await Promise.all([
    client.query<{ id: string; batch: string | null }>({ text: 'select id, batch from outbox where shard = $1 and sent_at is null and attempted_at is not null', values: [shard] }),
    client.query<{ max: string | null }>({ text: 'select max(batch) as max from outbox where shard = $1', values: [shard] }),
  ]);
  return {
    rows: rows.rows.map((r) => ({ id: Number(r.id), batch: r.batch === null ? null : Number(r.batch) })),
    maxBatch: max.rows[0]?.max === null || max.rows[0]?.max === undefined ? -1 : Number(max.rows[0].max),
  };
}

/**
 * Deletes a shard's rows sent longer ago than `retainMs`. Until then a late retry of the same effect still finds its
 * row and inserts nothing; keep it longer than any activity's retry window.
 */
export async function pruneSent(client: Queryable, shard: number, retainMs: number): Promise<number> {
  const result = await client.query({
    text: `delete from outbox where shard = $1 and sent_at < now() - make_interval(secs => $2::double precision / 1000)`,
    values: [shard, retainMs],
  });
  return result.rowCount ?? 0;
}
