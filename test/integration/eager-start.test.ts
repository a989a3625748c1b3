// Eager workflow start on the real stack: a bridge whose client shares a worker's NativeConnection (as `mainspring
// run` and `npm start` wire them) gets each saga's first workflow task back in the start response and the approval
// completes in that one task; a backlog is drained with plain starts; a bridge asking for eager starts on a
// connection without a worker falls back to the task queue, and its sagas still complete on the worker that polls it.
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { inArray } from 'drizzle-orm';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createActivities } from '../../activities';
import type { EventEnvelope, PaymentInitiatedV1 } from '../../schemas';
import { createDb, type DbHandle } from '../../src/db/client';
import { decision } from '../../src/db/schema';
import { Bridge } from '../../src/kafka/bridge';
import { connectProducer } from '../../src/kafka/producer';
import { ModelRuntime } from '../../src/model/runtime';
import { createLogger } from '../../src/observability/logger';
import { bundleWorkflows } from '../../workers/bundle-workflows';
import { createTopics, testKafka } from '../helpers/kafka';
import { closeRig, startTestOutbox, type TestOutbox, deleteSagaRows, INTEGRATION_PII_KEY, SagaFixtures, sagaTestTopics, testPaymentRoute } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const PER_BRIDGE = 12;

async function counter(registry: Registry, name: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return ((metric?.values ?? []) as Array<{ value: number }>).reduce((sum, v) => sum + v.value, 0);
}

describe('eager workflow start (bridge and worker on one connection)', () => {
  const { topics, all } = sagaTestTopics('it-eager');
  const otherTopic = uniqueName('it-eager-plain-initiated');
  const backlogTopic = uniqueName('it-eager-backlog-initiated');
  const taskQueue = uniqueName('it-eager');
  const fixtures = new SagaFixtures('it-eager');
  let kafka: Kafka;
  let producer: Producer;
  let db: DbHandle;
  let outbox: TestOutbox | undefined;
  let models: ModelRuntime;
  let shared: NativeConnection;
  let workerless: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  const bridges: Bridge[] = [];

  beforeAll(async () => {
    kafka = testKafka();
    await createTopics(kafka, [...all, otherTopic], 3);
    await createTopics(kafka, [backlogTopic], 1);
    producer = await connectProducer(kafka);
    db = createDb(stackEnv.databaseUrl, { max: 4 });
    outbox = startTestOutbox(kafka, stackEnv.databaseUrl);
    models = new ModelRuntime({ modelName: 'fraud' }); // the rules score: this test is about how sagas start
    [shared, workerless] = await Promise.all([NativeConnection.connect({ address: stackEnv.temporalAddress }), NativeConnection.connect({ address: stackEnv.temporalAddress })]);
    worker = await Worker.create({
      connection: shared,
      namespace: stackEnv.temporalNamespace,
      taskQueue,
      workflowBundle: await bundleWorkflows(),
      activities: createActivities({ db: db.db, models, piiHashKey: INTEGRATION_PII_KEY, topics, logger }),
    });
    running = worker.run();
  });

  afterAll(async () => {
    for (const b of bridges) await b.stop().catch(() => undefined);
    worker?.shutdown();
    await running?.catch(() => undefined);
    if (db) {
      await deleteSagaRows(db.db, { payments: fixtures.created.payments, users: fixtures.created.users, workflows: fixtures.created.workflows });
      await db.close();
    }
    await closeRig({ outbox, producer, models, nativeConnections: [shared, workerless], kafka, topics: [...all, otherTopic, backlogTopic] });
  });

  async function bridgeOn(connection: NativeConnection, topic: string): Promise<Registry> {
    const metrics = new Registry();
    const temporal = new Client({ connection, namespace: stackEnv.temporalNamespace });
    const bridge = new Bridge(
      { kafka, temporal, producer, routes: [testPaymentRoute(topic, taskQueue)], logger, metrics },
      { groupId: uniqueName('it-eager-bridge'), eagerStart: true },
    );
    bridges.push(bridge);
    await bridge.start();
    return metrics;
  }

  async function approvals(topic: string): Promise<Array<EventEnvelope<PaymentInitiatedV1>>> {
    const events: Array<EventEnvelope<PaymentInitiatedV1>> = [];
    for (let i = 0; i < PER_BRIDGE; i++) events.push(fixtures.payment({ userId: await fixtures.benignUser(db.db) }, new Date().toISOString()));
    await producer.send({ topic, acks: -1, messages: events.map((e) => ({ key: e.subject, value: JSON.stringify(e) })) });
    return events;
  }

  async function decided(events: ReadonlyArray<EventEnvelope<PaymentInitiatedV1>>) {
    return eventually(
      () => db.db.select({ paymentId: decision.paymentId, status: decision.status }).from(decision).where(inArray(decision.paymentId, events.map((e) => e.data.paymentId))),
      (rows) => rows.length === events.length,
      { what: `${events.length} decisions`, timeoutMs: 90_000 },
    );
  }

  it('hands every saga to the local worker with its start, and an approval completes in that first workflow task', async () => {
    const metrics = await bridgeOn(shared, topics.initiated);
    const events = await approvals(topics.initiated);
    const rows = await decided(events);
    expect(rows.every((r) => r.status === 'approved')).toBe(true);
    expect(await counter(metrics, 'mainspring_bridge_accepted_total')).toBe(PER_BRIDGE);
    expect(await counter(metrics, 'mainspring_bridge_eager_starts_total')).toBe(PER_BRIDGE);

    const client = new Client({ connection: shared, namespace: stackEnv.temporalNamespace });
    for (const e of events.slice(0, 3)) {
      // The record is written inside the workflow task; the task's completion follows it.
      const handle = client.workflow.getHandle(`payment-${e.id}`);
      await handle.result();
      const history = await handle.fetchHistory();
      const types = (history.events ?? []).map((ev) => ev.eventType);
      const WORKFLOW_TASK_COMPLETED = 7;
      const ACTIVITY_TASK_SCHEDULED = 10;
      expect(types.filter((t) => t === WORKFLOW_TASK_COMPLETED)).toHaveLength(1);
      expect(types).not.toContain(ACTIVITY_TASK_SCHEDULED);
    }
  });

  it('drains a backlog with plain starts: a batch larger than the in-flight bound is not started eagerly', async () => {
    // Produced before the bridge joins, so its first fetch returns them as one batch (the topic has one partition).
    const backlog: Array<EventEnvelope<PaymentInitiatedV1>> = [];
    for (let i = 0; i < 40; i++) backlog.push(fixtures.payment({ userId: await fixtures.benignUser(db.db) }, new Date().toISOString()));
    await producer.send({ topic: backlogTopic, acks: -1, messages: backlog.map((e) => ({ key: e.subject, value: JSON.stringify(e) })) });
    const metrics = await bridgeOn(shared, backlogTopic);
    await decided(backlog);
    expect(await counter(metrics, 'mainspring_bridge_accepted_total')).toBe(backlog.length);
    expect(await counter(metrics, 'mainspring_bridge_eager_starts_total')).toBe(0);
  });

  it('falls back to the task queue when no worker shares the connection: nothing is eager, every saga completes', async () => {
    const metrics = await bridgeOn(workerless, otherTopic);
    const events = await approvals(otherTopic);
    await decided(events);
    expect(await counter(metrics, 'mainspring_bridge_accepted_total')).toBe(PER_BRIDGE);
    expect(await counter(metrics, 'mainspring_bridge_eager_starts_total')).toBe(0);
  });
});
