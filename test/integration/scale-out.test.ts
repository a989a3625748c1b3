// Scale-out on the real stack: two bridges in one consumer group and two workers on one task queue share a stream of
// bursty per-key payments; one bridge leaves mid-stream and another joins (two rebalances). Every event must become
// exactly one workflow and one decision, nothing may be left uncommitted, and per key the workflows must have been
// started in offset order (server start times, nanosecond precision, against the records' offsets).
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { inArray } from 'drizzle-orm';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createActivities } from '../../activities';
import { createEvent, paymentInitiatedV1, type EventEnvelope, type PaymentInitiatedV1 } from '../../schemas';
import { createDb, type DbHandle } from '../../src/db/client';
import { decision, userRiskProfile } from '../../src/db/schema';
import { Bridge } from '../../src/kafka/bridge';
import { connectProducer } from '../../src/kafka/producer';
import { ModelRuntime } from '../../src/model/runtime';
import { createLogger } from '../../src/observability/logger';
import { bundleWorkflows } from '../../workers/bundle-workflows';
import { committedOffsets, createTopics, testKafka } from '../helpers/kafka';
import { closeRig, startTestOutbox, type TestOutbox, deleteSagaRows, INTEGRATION_PII_KEY, lowRiskProfile, sagaTestTopics, testPaymentRoute } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const PARTITIONS = 6;
const KEYS = 8;

async function metricSum(registry: Registry, name: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return ((metric?.values ?? []) as Array<{ value: number }>).reduce((sum, v) => sum + v.value, 0);
}

describe('scale-out: two bridges and two workers', () => {
  const { topics, all: allTopics } = sagaTestTopics('it-scale');
  const taskQueue = uniqueName('it-scale');
  const groupId = uniqueName('it-scale-bridges');
  const users = Array.from({ length: KEYS }, (_, i) => uniqueName(`it-scale-u${i}`));
  const events: Array<EventEnvelope<PaymentInitiatedV1>> = [];
  let kafka: Kafka;
  let producer: Producer;
  let db: DbHandle;
  let outbox: TestOutbox | undefined;
  let models: ModelRuntime;
  let connection: Connection;
  let temporal: Client;
  const nativeConnections: NativeConnection[] = [];
  const workers: Worker[] = [];
  const runs: Array<Promise<void>> = [];
  const bridges: Bridge[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    await createTopics(kafka, allTopics, PARTITIONS);
    [producer, connection] = await Promise.all([connectProducer(kafka), Connection.connect({ address: stackEnv.temporalAddress })]);
    temporal = new Client({ connection, namespace: stackEnv.temporalNamespace });
    db = createDb(stackEnv.databaseUrl, { max: 6 });
    outbox = startTestOutbox(kafka, stackEnv.databaseUrl);
    // No champion: the rules score (the saga's path is the same; this test is about distribution, not the model).
    models = new ModelRuntime({ modelName: 'fraud' });
    await db.db.insert(userRiskProfile).values(users.map((userId) => lowRiskProfile(userId)));
    const workflowBundle = await bundleWorkflows();
    const activities = createActivities({ db: db.db, models, piiHashKey: INTEGRATION_PII_KEY, topics, logger });
    for (const identity of ['scale-worker-a', 'scale-worker-b']) {
      // A connection per worker, as two worker processes have (the SDK refuses two workers of one queue on one client).
      const nativeConnection = await NativeConnection.connect({ address: stackEnv.temporalAddress });
      nativeConnections.push(nativeConnection);
      const worker = await Worker.create({ connection: nativeConnection, namespace: stackEnv.temporalNamespace, taskQueue, workflowBundle, activities, identity });
      workers.push(worker);
      runs.push(worker.run());
    }
  });

  afterAll(async () => {
    for (const b of bridges) await b.stop().catch(() => undefined);
    for (const e of events) await temporal.workflow.getHandle(`payment-${e.id}`).terminate('test cleanup').catch(() => undefined);
    for (const w of workers) w.shutdown();
    await Promise.all(runs.map((r) => r.catch(() => undefined)));
    if (db) {
      await deleteSagaRows(db.db, { payments: events.map((e) => e.data.paymentId), users, workflows: events.map((e) => `payment-${e.id}`) });
      await db.close();
    }
    await closeRig({ outbox, producer, models, nativeConnections, connection, kafka, topics: allTopics });
  });

  /** One burst: each key gets `perKey` payments back to back (one send, so per key in production order). */
  async function burst(round: number, perKey: number): Promise<void> {
    const batch: Array<EventEnvelope<PaymentInitiatedV1>> = [];
    for (const userId of users) {
      for (let i = 0; i < perKey; i++) {
        const data: PaymentInitiatedV1 = { paymentId: `pay-${randomUUID()}`, userId, merchantId: 'merch-1', amount: 12 + round + i, currency: 'EUR', country: 'DE', merchantCategory: 'grocery', deviceId: 'dev-home', eventTime: new Date().toISOString() };
        batch.push(createEvent(paymentInitiatedV1, { source: 'urn:it-scale', data }));
      }
    }
    events.push(...batch);
    await producer.send({ topic: topics.initiated, acks: -1, messages: batch.map((e) => ({ key: e.subject, value: JSON.stringify(e) })) });
  }

  async function startBridge(): Promise<{ bridge: Bridge; metrics: Registry }> {
    const metrics = new Registry();
    // A small in-flight limit keeps starts in progress while the group rebalances.
    const bridge = new Bridge({ kafka, temporal, producer, routes: [testPaymentRoute(topics.initiated, taskQueue)], logger, metrics }, { groupId, maxInFlightPerPartition: 4 });
    bridges.push(bridge);
    await bridge.start();
    return { bridge, metrics };
  }

  async function bridgeProgress(aMetrics: Registry, bMetrics: Registry) {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [group] = (await admin.describeGroups([groupId])).groups;
      return {
        acceptedA: await metricSum(aMetrics, 'mainspring_bridge_accepted_total'),
        consumedA: await metricSum(aMetrics, 'mainspring_bridge_consumed_total'),
        consumedB: await metricSum(bMetrics, 'mainspring_bridge_consumed_total'),
        group: { state: group.state, members: group.members.map((m) => m.clientId) },
      };
    } finally {
      await admin.disconnect();
    }
  }

  /** Partitions whose committed offset is not yet their end offset (empty = everything committed). */
  async function uncommitted(): Promise<string[]> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = new Map((await admin.fetchTopicOffsets(topics.initiated)).map((p) => [p.partition, BigInt(p.high)]));
      const committed = await committedOffsets(kafka, groupId, topics.initiated);
      return [...ends].filter(([p, end]) => end !== 0n && committed.get(p) !== end).map(([p, end]) => `${p}: ${committed.get(p) ?? 'none'}/${end}`);
    } finally {
      await admin.disconnect();
    }
  }

  it('starts every event exactly once, in offset order per key, across a bridge leaving and one joining', async () => {
    const a = await startBridge();
    const b = await startBridge();
    await burst(0, 3);
    await burst(1, 3);
    // Bridge A leaves while the stream is in flight: its partitions move to B (rebalance), uncommitted work is redone.
    // Generous: two members joining at once can hold the group in a rebalance up to kafkajs' rebalanceTimeout (60 s).
    // The value says, should this time out, whether A read anything and what the group looked like.
    await eventually(() => bridgeProgress(a.metrics, b.metrics), (p) => p.acceptedA > 0, { what: 'bridge A accepting', timeoutMs: 180_000, intervalMs: 1_000 });
    await burst(2, 3);
    await a.bridge.stop();
    await burst(3, 3);
    // Bridge C joins mid-stream: a second rebalance while B works.
    const c = await startBridge();
    for (const round of [4, 5]) await burst(round, 2);

    const total = events.length;
    await eventually(uncommitted, (open) => open.length === 0, { what: 'every partition committed to its end', timeoutMs: 300_000, intervalMs: 1_000 });
    // Every saga got through: a decision recorded, or (a starved machine makes the saga's local activities time out)
    // closed without one. Neither may happen twice: decisions are keyed by payment, workflows by event.
    const settled = await eventually(
      async () => {
        const decided = new Set((await db.db.select({ paymentId: decision.paymentId }).from(decision).where(inArray(decision.paymentId, events.map((e) => e.data.paymentId)))).map((r) => r.paymentId));
        const closed = new Set<string>();
        for await (const wf of temporal.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running'` })) closed.add(wf.workflowId);
        const open = events.filter((e) => !decided.has(e.data.paymentId) && !closed.has(`payment-${e.id}`)).length;
        return { decided: decided.size, closedWithoutDecision: events.filter((e) => !decided.has(e.data.paymentId) && closed.has(`payment-${e.id}`)).length, open };
      },
      (r) => r.open === 0,
      { what: 'every saga decided or closed', timeoutMs: 300_000, intervalMs: 2_000 },
    );
    expect(settled.decided + settled.closedWithoutDecision).toBe(total);

    // Exactly one workflow per event: the set of workflows on the task queue is the set of events, no more.
    const expectedIds = events.map((e) => `payment-${e.id}`).sort();
    const listed = await eventually(
      async () => {
        const ids: string[] = [];
        for await (const wf of temporal.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) ids.push(wf.workflowId);
        return ids.sort();
      },
      (ids) => ids.length >= total,
      { what: 'visibility lists every workflow' },
    );
    expect(listed).toEqual(expectedIds);
    const accepted = await Promise.all([a, b, c].map((x) => metricSum(x.metrics, 'mainspring_bridge_accepted_total')));
    const duplicates = await Promise.all([a, b, c].map((x) => metricSum(x.metrics, 'mainspring_bridge_duplicates_total')));
    process.stderr.write(`[scale-out it] ${total} events; accepted by A/B/C ${accepted.join('/')}, re-delivered duplicates ${duplicates.join('/')}; ${settled.decided} decided, ${settled.closedWithoutDecision} closed without a decision\n`);
    // Each start succeeded once in total; a re-delivered one is counted as a duplicate, not as accepted.
    expect(accepted.reduce((s, n) => s + n, 0)).toBe(total);
    expect(accepted[0]).toBeGreaterThan(0);
    expect(accepted[1] + accepted[2]).toBeGreaterThan(0);

    // Per key, in offset order; both workers took part.
    const described = await Promise.all(
      events.map(async (e) => {
        const handle = temporal.workflow.getHandle(`payment-${e.id}`);
        const d = await handle.describe();
        const start = d.raw.workflowExecutionInfo!.startTime!;
        const history = await handle.fetchHistory();
        const identities = (history.events ?? []).flatMap((h) => (h.workflowTaskCompletedEventAttributes?.identity ? [h.workflowTaskCompletedEventAttributes.identity] : []));
        const kafkaMemo = d.memo?.kafka as { partition: number; offset: string };
        return { key: e.subject, partition: kafkaMemo.partition, offset: BigInt(kafkaMemo.offset), startNs: BigInt(String(start.seconds)) * 1_000_000_000n + BigInt(start.nanos ?? 0), identities };
      }),
    );
    for (const userId of users) {
      const ofKey = described.filter((d) => d.key === userId).sort((x, y) => (x.offset < y.offset ? -1 : 1));
      expect(ofKey.length).toBe(events.filter((e) => e.subject === userId).length);
      expect(new Set(ofKey.map((d) => d.partition)).size).toBe(1);
      const outOfOrder = ofKey.slice(1).filter((d, i) => d.startNs <= ofKey[i].startNs);
      expect(outOfOrder).toEqual([]);
    }
    // Every workflow was run by a worker, and both workers took part.
    expect(described.filter((d) => d.identities.length === 0)).toEqual([]);
    const byWorker = new Set(described.flatMap((d) => d.identities));
    expect([...byWorker].sort()).toEqual(['scale-worker-a', 'scale-worker-b']);
  }, 900_000);
});
