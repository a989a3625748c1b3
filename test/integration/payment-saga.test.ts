// The payment saga on the real stack: Kafka → bridge → Temporal → worker with the real activities (PostgreSQL, the
// idempotent producer, an ONNX champion + shadow in the model runtime) → rows and events.
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { and, eq, sql } from 'drizzle-orm';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createActivities } from '../../activities';
import { type EventEnvelope, type PaymentInitiatedV1 } from '../../schemas';
import { createDb, type DbHandle } from '../../src/db/client';
import { compensationLedger, decision, featureLog, notification, paymentHold, riskAdjustment, userRiskProfile } from '../../src/db/schema';
import { FEATURE_NAMES, featureVectorFromValues } from '../../src/features/payment-features';
import { Bridge } from '../../src/kafka/bridge';
import { connectProducer } from '../../src/kafka/producer';
import { ModelRuntime } from '../../src/model/runtime';
import { createLogger } from '../../src/observability/logger';
import { pseudonymize } from '../../src/security/pseudonymize';
import { bundleWorkflows } from '../../workers/bundle-workflows';
import type { paymentSaga } from '../../workflows';
import { resolveReviewUpdate, statusQuery } from '../../workflows/payment-saga/payment-saga.messages';
import { createTopics, testKafka } from '../helpers/kafka';
import { closeRig, startTestOutbox, type TestOutbox, deleteSagaRows, INTEGRATION_PII_KEY, riskyPaymentData, SagaFixtures, sagaTestTopics, testPaymentRoute, trainedFraudModel } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

type SagaHandle = WorkflowHandle<typeof paymentSaga>;

/** Everything the file creates, so it can remove exactly that. */
const fixtures = new SagaFixtures('it');
const { created, payment } = fixtures;


describe('payment saga on the real stack', () => {
  const { topics, all: allTopics } = sagaTestTopics('it-saga');
  const taskQueue = uniqueName('it-saga');
  let kafka: Kafka;
  let producer: Producer;
  let db: DbHandle;
  let outbox: TestOutbox | undefined;
  let models: ModelRuntime;
  let connection: Connection;
  let temporal: Client;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let workerRun: Promise<void>;
  let bridge: Bridge;
  let activities: ReturnType<typeof createActivities>;

  beforeAll(async () => {
    kafka = testKafka();
    await createTopics(kafka, allTopics, 3);
    [producer, connection, nativeConnection] = await Promise.all([
      connectProducer(kafka),
      Connection.connect({ address: stackEnv.temporalAddress }),
      NativeConnection.connect({ address: stackEnv.temporalAddress }),
    ]);
    temporal = new Client({ connection, namespace: stackEnv.temporalNamespace });
    db = createDb(stackEnv.databaseUrl, { max: 6 });
    outbox = startTestOutbox(kafka, stackEnv.databaseUrl);
    models = new ModelRuntime({ modelName: 'fraud' });
    const champion = trainedFraudModel(101, 'fraud-it-1');
    const shadow = trainedFraudModel(202, 'fraud-it-2');
    await models.setChampion('fraud-it-1', champion.bytes, champion.sha256);
    await models.setShadow('fraud-it-2', shadow.bytes, shadow.sha256);

    activities = createActivities({ db: db.db, models, piiHashKey: INTEGRATION_PII_KEY, topics, logger });
    const workflowBundle = await bundleWorkflows();
    worker = await Worker.create({ connection: nativeConnection, namespace: stackEnv.temporalNamespace, taskQueue, workflowBundle, activities });
    workerRun = worker.run();

    // The product's own route, pointed at this file's topic and task queue.
    bridge = new Bridge({ kafka, temporal, producer, routes: [testPaymentRoute(topics.initiated, taskQueue)], logger, metrics: new Registry() }, { groupId: uniqueName('it-saga-bridge') });
    await bridge.start();
  });

  afterAll(async () => {
    await bridge?.stop();
    for (const workflowId of created.workflows) {
      await temporal.workflow.getHandle(workflowId).terminate('test cleanup').catch(() => undefined);
    }
    worker?.shutdown();
    await workerRun?.catch(() => undefined);
    if (db) {
      await deleteSagaRows(db.db, created);
      await db.close();
    }
    await closeRig({ outbox, producer, models, nativeConnections: [nativeConnection], connection, kafka, topics: allTopics });
  });

  const riskyUser = (eventTime: string) => fixtures.riskyUser(db.db, eventTime);
  const benignUser = () => fixtures.benignUser(db.db);
  const riskyData = riskyPaymentData;

  async function produce(events: Array<EventEnvelope<PaymentInitiatedV1>>): Promise<void> {
    await producer.send({ topic: topics.initiated, acks: -1, messages: events.map((e) => ({ key: e.subject, value: JSON.stringify(e) })) });
  }

  const decisionOf = async (paymentId: string) => (await db.db.select().from(decision).where(eq(decision.paymentId, paymentId)))[0];
  const countRows = async (table: typeof paymentHold | typeof notification, paymentId: string, extra?: ReturnType<typeof eq>) =>
    Number((await db.db.select({ n: sql<number>`count(*)::int` }).from(table).where(extra ? and(eq(table.paymentId, paymentId), extra) : eq(table.paymentId, paymentId)))[0].n);

  async function topicMessages(topic: string, expected: number, timeoutMs = 30_000): Promise<KafkaMessage[]> {
    const consumer = kafka.consumer({ groupId: uniqueName('it-saga-reader') });
    const got: KafkaMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
      await eventually(async () => got.length, (n) => n >= expected, { timeoutMs, what: `${expected} messages on ${topic}` });
      // Linger a little: a duplicate would show up right behind the expected ones.
      await new Promise((r) => setTimeout(r, 1_500));
      return got;
    } finally {
      await consumer.disconnect();
    }
  }

  it('events → decisions, holds and payments.flagged; delivered twice → one hold and one notification each; the logged vector is the scored one', async () => {
    const eventTime = new Date().toISOString();
    const risky = await Promise.all([riskyUser(eventTime), riskyUser(eventTime)]);
    const benign = await Promise.all([benignUser(), benignUser(), benignUser()]);
    const flagged = risky.map((u) => payment(riskyData(u), eventTime));
    const approved = benign.map((u) => payment({ userId: u }, eventTime));
    const all = [...flagged, ...approved];
    const started = Date.now();
    await produce(all);
    await produce(all); // the same records again: redelivery after a producer retry or a replay

    const rows = await eventually(
      async () => Promise.all(all.map((e) => decisionOf(e.data.paymentId))),
      (r) => r.every((row) => row !== undefined && (row.status === 'in-review' || row.status === 'approved')),
      { timeoutMs: 90_000, what: 'all decisions recorded' },
    );
    const elapsed = Date.now() - started;
    process.stderr.write(`[payment-saga it] ${all.length} sagas (x2 delivered) recorded ${elapsed} ms after produce\n`);

    for (const [i, e] of all.entries()) {
      const row = rows[i]!;
      const isFlag = i < flagged.length;
      expect(row).toMatchObject({
        decision: isFlag ? 'FLAG' : 'APPROVE',
        status: isFlag ? 'in-review' : 'approved',
        workflowId: `payment-${e.id}`,
        correlationId: e.correlationid,
        modelName: 'fraud',
        modelVersion: 'fraud-it-1',
        fallback: false,
        shadowVersion: 'fraud-it-2',
        threshold: 0.85,
        kafkaTopic: topics.initiated,
        featureSpecVersion: 'pf-v1',
        actions: isFlag ? expect.arrayContaining(['hold-payment', 'publish-flagged', 'notify-fraud-team', 'raise-risk-profile']) : [],
      });
      expect(row.runId).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.kafkaPartition).toBeGreaterThanOrEqual(0);
      expect(row.kafkaOffset).toBeGreaterThanOrEqual(0);
      expect(row.shadowScore).toEqual(expect.any(Number));
      expect(row.reasons.length).toBeGreaterThan(0);
      if (isFlag) expect(row.score).toBeGreaterThan(0.85);
      else expect(row.score).toBeLessThanOrEqual(0.85);

      // Exactly one of each effect, however often the event came in.
      expect(await countRows(paymentHold, e.data.paymentId)).toBe(isFlag ? 1 : 0);
      expect(await countRows(notification, e.data.paymentId)).toBe(isFlag ? 1 : 0);

      // Skew: the feature log holds the vector that was scored. Scoring it again gives the recorded score, bit for bit.
      const [logged] = await db.db.select().from(featureLog).where(eq(featureLog.paymentId, e.data.paymentId));
      expect(logged.features).toEqual(row.features);
      const rescored = await models.score(featureVectorFromValues(logged.vector));
      expect(rescored.probability).toBe(row.score);
      // jsonb does not keep key order: the positional vector is the model input, the named map agrees with it.
      expect(FEATURE_NAMES.map((name) => logged.features[name])).toEqual(logged.vector);
    }
    // Velocity came from the stored events by event time (4 earlier payments in the last minute).
    expect(rows[0]!.features.velocity_60s).toBe(4);
    expect(rows[0]!.features.new_device).toBe(1);

    for (const u of risky) {
      const [profile] = await db.db.select().from(userRiskProfile).where(eq(userRiskProfile.userId, u));
      expect(profile.riskScore).toBeCloseTo(1.0, 9); // 0.8 + 0.2
      expect(await db.db.select().from(riskAdjustment).where(eq(riskAdjustment.userId, u))).toHaveLength(1);
    }

    // Exactly one payments.flagged per flagged payment, one payments.scored per payment.
    const flaggedMessages = await topicMessages(topics.flagged, flagged.length);
    expect(flaggedMessages).toHaveLength(flagged.length);
    const flaggedEvents = flaggedMessages.map((m) => JSON.parse(m.value!.toString()) as EventEnvelope<Record<string, unknown>>);
    expect(flaggedEvents.map((f) => f.data.paymentId).sort()).toEqual(flagged.map((e) => e.data.paymentId).sort());
    for (const f of flaggedEvents) {
      const cause = flagged.find((e) => e.data.paymentId === f.data.paymentId)!;
      expect(f).toMatchObject({ type: 'payments.flagged', causationid: cause.id, correlationid: cause.correlationid, data: { modelVersion: 'fraud-it-1', workflowId: `payment-${cause.id}`, fallback: false } });
      expect(flaggedMessages.find((m) => m.value!.toString().includes(cause.id))!.key!.toString()).toBe(cause.data.paymentId);
    }
    expect(await topicMessages(topics.scored, all.length)).toHaveLength(all.length);

    // The UI view of one flagged saga: search attributes and the status query.
    const handle: SagaHandle = temporal.workflow.getHandle(`payment-${flagged[0].id}`);
    const described = await handle.describe();
    const sa = Object.fromEntries(described.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    expect(sa).toMatchObject({
      Decision: 'FLAG',
      ModelVersion: 'fraud-it-1',
      PaymentId: flagged[0].data.paymentId,
      UserId: pseudonymize(flagged[0].data.userId, INTEGRATION_PII_KEY),
      CorrelationId: flagged[0].correlationid,
      KafkaTopic: topics.initiated,
    });
    expect(sa.RiskScore).toBeCloseTo(rows[0]!.score, 6);
    // The coordinates the bridge indexed at start are the ones in the decision record.
    expect([sa.KafkaPartition, sa.KafkaOffset]).toEqual([rows[0]!.kafkaPartition, rows[0]!.kafkaOffset]);
    expect(await handle.query(statusQuery)).toMatchObject({ phase: 'in-review', decision: 'FLAG' });
    const approvedHistory = (await temporal.workflow.getHandle(`payment-${approved[0].id}`).fetchHistory()).events?.length;
    const flaggedHistory = (await handle.fetchHistory()).events?.length;
    process.stderr.write(`[payment-saga it] history events: approve ${approvedHistory}, flag (waiting for review) ${flaggedHistory}\n`);
  });

  it('review on the real stack: legit undoes everything exactly (ledger, retraction, label); fraud keeps the hold; bad requests leave history untouched', async () => {
    const eventTime = new Date().toISOString();
    const [legitUser, fraudUser] = await Promise.all([riskyUser(eventTime), riskyUser(eventTime)]);
    const legit = payment(riskyData(legitUser), eventTime);
    const fraud = payment(riskyData(fraudUser), eventTime);
    const t0 = Date.now();
    await produce([legit, fraud]);
    const handles = [legit, fraud].map((e) => temporal.workflow.getHandle(`payment-${e.id}`) as SagaHandle);
    await eventually(async () => Promise.all(handles.map((h) => h.query(statusQuery).then((s) => s.phase).catch(() => 'not-started'))), (p) => p.every((x) => x === 'in-review'), {
      timeoutMs: 60_000,
      what: 'both sagas in review',
    });
    process.stderr.write(`[payment-saga it] produce → flagged saga in review: ${Date.now() - t0} ms\n`);

    // A rejected update is decided in the validator on a speculative task: the history does not change.
    const before = (await handles[0].fetchHistory()).events?.length;
    await expect(handles[0].executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'maybe' as never, reviewer: 'ana' }] })).rejects.toThrow();
    await expect(handles[0].executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'legit', reviewer: '' }] })).rejects.toThrow();
    expect((await handles[0].fetchHistory()).events?.length).toBe(before);

    const tReview = Date.now();
    const [legitAnswer, fraudAnswer] = await Promise.all([
      handles[0].executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'legit', reviewer: 'ana', note: 'customer confirmed' }] }),
      handles[1].executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'fraud', reviewer: 'bo' }] }),
    ]);
    process.stderr.write(`[payment-saga it] resolveReview round trip (legit with 4 compensations): ${Date.now() - tReview} ms\n`);
    expect(legitAnswer.outcome).toBe('released');
    expect(legitAnswer.compensations).toHaveLength(4);
    expect(legitAnswer.compensations[legitAnswer.compensations.length - 1]).toBe('release-hold');
    expect(fraudAnswer).toEqual({ outcome: 'confirmed-fraud', compensations: [] });
    const [legitResult, fraudResult] = await Promise.all(handles.map((h) => h.result()));
    expect(legitResult.outcome).toBe('released');
    expect(fraudResult.outcome).toBe('confirmed-fraud');

    const [legitHold] = await db.db.select().from(paymentHold).where(eq(paymentHold.paymentId, legit.data.paymentId));
    const [fraudHold] = await db.db.select().from(paymentHold).where(eq(paymentHold.paymentId, fraud.data.paymentId));
    expect(legitHold.status).toBe('released');
    expect(legitHold.releasedAt).toBeInstanceOf(Date);
    expect(fraudHold.status).toBe('held');
    const [legitProfile] = await db.db.select().from(userRiskProfile).where(eq(userRiskProfile.userId, legitUser));
    const [fraudProfile] = await db.db.select().from(userRiskProfile).where(eq(userRiskProfile.userId, fraudUser));
    expect(legitProfile.riskScore).toBe(0.8); // exactly the score before the raise
    expect(fraudProfile.riskScore).toBeCloseTo(1.0, 9);
    const ledger = await db.db.select().from(compensationLedger).where(eq(compensationLedger.workflowId, `payment-${legit.id}`));
    expect(ledger.map((l) => [l.step, l.attempt, l.outcome, l.reason]).sort()).toEqual(
      legitAnswer.compensations.map((step) => [step, 1, 'succeeded', 'review-legit']).sort(),
    );
    expect(await countRows(notification, legit.data.paymentId, eq(notification.kind, 'case-withdrawn'))).toBe(1);
    expect(await decisionOf(legit.data.paymentId)).toMatchObject({ status: 'released', review: { verdict: 'legit', reviewer: 'ana', note: 'customer confirmed' }, compensations: legitResult.compensations });
    expect(await decisionOf(fraud.data.paymentId)).toMatchObject({ status: 'confirmed-fraud', review: { verdict: 'fraud', reviewer: 'bo' }, compensations: [] });

    const retracted = (await topicMessages(topics.flagRetracted, 1)).map((m) => JSON.parse(m.value!.toString()) as EventEnvelope<Record<string, unknown>>);
    expect(retracted).toHaveLength(1);
    expect(retracted[0].data).toMatchObject({ paymentId: legit.data.paymentId, reason: 'manual-review', workflowId: `payment-${legit.id}` });
    const labels = (await topicMessages(topics.labeled, 2)).map((m) => JSON.parse(m.value!.toString()) as EventEnvelope<Record<string, unknown>>);
    expect(labels.map((l) => [l.data.paymentId, l.data.label, l.data.source]).sort()).toEqual(
      [
        [legit.data.paymentId, 'legit', 'review'],
        [fraud.data.paymentId, 'fraud', 'review'],
      ].sort(),
    );
    process.stderr.write(`[payment-saga it] history events: flag + legit review ${(await handles[0].fetchHistory()).events?.length}, flag + fraud review ${(await handles[1].fetchHistory()).events?.length}\n`);
  });

  it('effects and undos are idempotent on the real database (same key twice → one effect)', async () => {
    const userId = await benignUser();
    const paymentId = `pay-${randomUUID()}`;
    const workflowId = `payment-idem-${randomUUID()}`;
    created.payments.add(paymentId);
    created.workflows.add(workflowId);
    const key = (step: string) => `${workflowId}:${step}`;

    await activities.holdPayment({ idempotencyKey: key('hold-payment'), paymentId, reason: 'test' });
    await activities.holdPayment({ idempotencyKey: key('hold-payment'), paymentId, reason: 'test' });
    expect(await countRows(paymentHold, paymentId)).toBe(1);

    const first = await activities.raiseRiskProfile({ idempotencyKey: key('raise-risk-profile'), userId });
    const second = await activities.raiseRiskProfile({ idempotencyKey: key('raise-risk-profile'), userId });
    expect(second).toEqual(first);
    expect(first).toEqual({ previousScore: 0.05, newScore: 0.25 });

    // Another saga raises the same user meanwhile: undoing ours must not erase theirs.
    await activities.raiseRiskProfile({ idempotencyKey: `${workflowId}-other:raise-risk-profile`, userId });
    await activities.restoreRiskProfile({ workflowId, reason: 'step-failed', adjustmentKey: key('raise-risk-profile') });
    await activities.restoreRiskProfile({ workflowId, reason: 'step-failed', adjustmentKey: key('raise-risk-profile') });
    const [profile] = await db.db.select().from(userRiskProfile).where(eq(userRiskProfile.userId, userId));
    expect(profile.riskScore).toBeCloseTo(0.25, 9);

    await activities.releaseHold({ workflowId, reason: 'step-failed', holdKey: key('hold-payment') });
    await activities.releaseHold({ workflowId, reason: 'step-failed', holdKey: key('hold-payment') });
    const ledger = await db.db.select().from(compensationLedger).where(eq(compensationLedger.workflowId, workflowId));
    expect(ledger.map((l) => `${l.step}#${l.attempt}:${l.outcome}`).sort()).toEqual(
      ['release-hold#1:succeeded', 'release-hold#2:succeeded', 'restore-risk-profile#1:succeeded', 'restore-risk-profile#2:succeeded'].sort(),
    );

    // An undo that fails is ledgered as failed, and the error still reaches the caller (who retries).
    await expect(activities.restoreRiskProfile({ workflowId, reason: 'step-failed', adjustmentKey: key('never-raised') })).rejects.toThrow(/no risk adjustment/);
    const failed = await db.db.select().from(compensationLedger).where(and(eq(compensationLedger.workflowId, workflowId), eq(compensationLedger.outcome, 'failed')));
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toContain('no risk adjustment');
  });
});
