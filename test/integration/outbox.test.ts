// Saga effects are published once (src/kafka/outbox/): two relays of one shard, each with its own PostgreSQL
// connection and transactional producer, as in two worker processes. The leader is taken away while its Kafka
// transaction is open; the other takes over, fences it and publishes. A read_committed consumer sees every row
// exactly once; so it does when the broker freezes while the leader's send is pending and the leader loses its lock
// meanwhile. The shard numbers are outside the workers' range, so relays of other suites on the same stack
// never touch these rows.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { Client as PgClient, Pool } from 'pg';
import { createEvent, paymentFlagRetractedV1 } from '../../schemas';
import { enqueueEffect, OutboxRelay, outboxEffect, type OutboxRelayOptions } from '../../src/kafka/outbox';
import { progressTopicOf } from '../../src/kafka/outbox/shard';
import { createTopics, deleteTopics, testKafka } from '../helpers/kafka';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();
const topic = uniqueName('outbox');
let kafka: Kafka;
let pool: Pool;
const relays: OutboxRelay[] = [];
/** The relays' progress topics: created on their first lead, removed with the file's topic. */
const progressTopics = new Set<string>();

beforeAll(async () => {
  kafka = testKafka();
  await createTopics(kafka, [topic], 3);
  pool = new Pool({ connectionString: stackEnv.databaseUrl, max: 2 });
});

afterAll(async () => {
  await Promise.all(relays.map((r) => r.stop(1_000)));
  await pool?.query('delete from outbox where topic = $1', [topic]);
  await pool?.end();
  await deleteTopics(kafka, [topic, ...progressTopics]).catch(() => undefined);
});

/** A relay as one worker process runs it: its own connection and its own Kafka client (so its own producer). */
function relay(shard: number, prefix: string, extra: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  progressTopics.add(progressTopicOf(`${prefix}-${shard}`));
  const r = new OutboxRelay({ shard, kafka: testKafka(), database: stackEnv.databaseUrl, transactionalIdPrefix: prefix, leaderRetryMs: 200, pollMs: 300, maxRows: 10, ...extra });
  relays.push(r);
  return r.start();
}

async function enqueue(shard: number, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const paymentId = `pay-${randomUUID()}`;
    const envelope = createEvent(paymentFlagRetractedV1, {
      id: randomUUID(),
      source: 'test/outbox',
      data: { paymentId, workflowId: `payment-${paymentId}`, reason: 'manual-review', flagEventId: randomUUID(), detail: 'test' },
    });
    const effect = outboxEffect(topic, envelope, { cloudEventsMode: 'structured', shards: 1 });
    expect(await enqueueEffect(pool, { ...effect, shard })).toBe(true);
    // Another attempt (or worker) of the same effect inserts nothing.
    expect(await enqueueEffect(pool, { ...effect, shard })).toBe(false);
    ids.push(envelope.id);
  }
  return ids;
}

/** Every record of the topic until none arrived for `quietMs`, as a consumer with the given isolation reads it. */
async function readAll(readUncommitted: boolean, expectAtLeast: number, quietMs = 3_000): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('outbox-reader'), readUncommitted, maxWaitTimeInMs: 200 });
  const got: KafkaMessage[] = [];
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void (got.push(message), (last = Date.now())) });
    await eventually(async () => got.length >= expectAtLeast && Date.now() - last > quietMs, Boolean, { timeoutMs: 60_000, what: `${expectAtLeast} records of ${topic}` });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

const idOf = (m: KafkaMessage) => (JSON.parse(m.value!.toString()) as { id: string }).id;

function copies(messages: KafkaMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) counts.set(idOf(m), (counts.get(idOf(m)) ?? 0) + 1);
  return counts;
}

async function unsent(shard: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from outbox where shard = $1 and topic = $2 and sent_at is null', [shard, topic]);
  return rows[0].n;
}

describe('outbox relays', () => {
  test('publishes queued effects once, woken by NOTIFY', async () => {
    const shard = 10_000 + Math.floor(Math.random() * 10_000);
    const leader = relay(shard, uniqueName('mainspring-outbox-it'));
    await eventually(async () => leader.leading, Boolean, { what: 'a leader' });
    const ids = await enqueue(shard, 25);
    await eventually(() => unsent(shard), (n) => n === 0, { what: 'every row sent' });
    const counts = copies(await readAll(false, ids.length));
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
  });

  test('a leader that stops answering loses its lock to the server idle timeout; the follower fences it and publishes once', async () => {
    const shard = 40_000 + Math.floor(Math.random() * 10_000);
    const prefix = uniqueName('mainspring-outbox-it');
    // The first leader freezes inside its first transaction (as a SIGSTOPped worker would): nobody ends its session.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let frozen: string[] | undefined;
    const frozenLeader = relay(shard, prefix, {
      idleSessionTimeoutMs: 2_000,
      beforeCommit: async (rows) => {
        if (frozen) return;
        frozen = rows.map((r) => r.eventId);
        await gate;
      },
    });
    await eventually(async () => frozenLeader.leading, Boolean, { what: 'the first leader' });
    const follower = relay(shard, prefix, { idleSessionTimeoutMs: 2_000 });
    const ids = await enqueue(shard, 15);
    await eventually(async () => frozen !== undefined, Boolean, { what: 'the leader inside its transaction' });
    // A frozen process would not try for the lead again once it thaws; stopping it (with a grace longer than the test)
    // keeps this one from doing so while it does nothing else to its session.
    const stopped = frozenLeader.stop(120_000);
    await eventually(async () => follower.leading, Boolean, { what: 'the follower to take over once the server ended the frozen session', timeoutMs: 30_000 });
    release();
    await stopped;
    await eventually(() => unsent(shard), (n) => n === 0, { what: 'every row sent' });
    const committed = copies(await readAll(false, ids.length));
    expect(ids.filter((id) => committed.get(id) !== 1)).toEqual([]);
  });

  test('a leader taken away while its transaction is open is fenced; the follower publishes every row exactly once', async () => {
    const shard = 20_000 + Math.floor(Math.random() * 10_000);
    const prefix = uniqueName('mainspring-outbox-it');
    // The first leader's first transaction stops between send and commit until the test lets it go.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inTransaction!: () => void;
    const opened = new Promise<void>((resolve) => (inTransaction = resolve));
    let blocked: string[] | undefined;
    const zombie = relay(shard, prefix, {
      beforeCommit: async (rows) => {
        if (blocked) return;
        blocked = rows.map((r) => r.eventId);
        inTransaction();
        await gate;
      },
    });
    await eventually(async () => zombie.leading, Boolean, { what: 'the first leader' });
    const follower = relay(shard, prefix);
    const ids = await enqueue(shard, 25);
    await opened;

    // Its lock goes with its connection (as when its worker is cut off from PostgreSQL); it does not try again.
    const stopped = zombie.stop(60_000);
    const admin = new PgClient({ connectionString: stackEnv.databaseUrl });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [zombie.backendPid]);
    await admin.end();
    await eventually(async () => follower.leading, Boolean, { what: 'the follower to take over' });
    // Now the zombie tries to commit: the follower's InitProducerId fenced its producer.
    release();
    await stopped;

    await eventually(() => unsent(shard), (n) => n === 0, { what: 'every row sent' });
    const committed = copies(await readAll(false, ids.length));
    expect(ids.filter((id) => committed.get(id) !== 1)).toEqual([]);
    // The zombie's records did reach the log, in its aborted transaction: the fencing is what kept them out.
    const written = copies(await readAll(true, ids.length + blocked!.length, 1_000));
    expect(blocked!.length).toBeGreaterThan(0);
    expect(blocked!.map((id) => written.get(id))).toEqual(blocked!.map(() => 2));
  });

  // The test stack's own broker (a stack given by KAFKA_BROKERS is not ours to pause).
  const brokerPidFile = process.env.MAINSPRING_TEST_STACK_HOME ? join(process.env.MAINSPRING_TEST_STACK_HOME, 'run', 'kafka.pid') : undefined;
  const withOwnBroker = brokerPidFile && existsSync(brokerPidFile) ? test : test.skip;

  withOwnBroker('broker outage: the leader loses its lock while its send is pending; after the outage every row is on the topic exactly once', async () => {
    const shard = 30_000 + Math.floor(Math.random() * 10_000);
    const prefix = uniqueName('mainspring-outbox-it');
    const first = relay(shard, prefix);
    await eventually(async () => first.leading, Boolean, { what: 'a leader' });
    const second = relay(shard, prefix);
    // Both producers have met the broker before it stops.
    const warm = await enqueue(shard, 3);
    await eventually(() => unsent(shard), (n) => n === 0, { what: 'the warm-up rows sent' });

    const brokerPid = Number(readFileSync(brokerPidFile!, 'utf8').trim());
    let ids: string[] = [];
    process.kill(brokerPid, 'SIGSTOP');
    try {
      ids = await enqueue(shard, 20);
      // The leader has put rows into a transaction whose send cannot complete.
      await eventually(
        async () => (await pool.query<{ n: number }>('select count(*)::int as n from outbox where shard = $1 and attempted_at is not null and sent_at is null', [shard])).rows[0].n,
        (n) => n > 0,
        { what: 'a pending transaction', timeoutMs: 10_000 },
      );
      const admin = new PgClient({ connectionString: stackEnv.databaseUrl });
      await admin.connect();
      await admin.query('select pg_terminate_backend($1)', [first.backendPid]);
      await admin.end();
      // Both relays now race for the lock (the first one's old term still waits on its send) while Kafka is frozen.
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      process.kill(brokerPid, 'SIGCONT');
    }
    await eventually(() => unsent(shard), (n) => n === 0, { what: 'every row sent after the outage', timeoutMs: 120_000 });
    expect(first.leading || second.leading).toBe(true);
    const committed = copies(await readAll(false, warm.length + ids.length));
    expect([...warm, ...ids].filter((id) => committed.get(id) !== 1)).toEqual([]);
  });
});
