// Replay and backfill on the real stack. Serving first: payments produced to Kafka in waves → bridge → payment saga
// with the real activities and an ONNX champion from the registry → decision records and the feature log; a few bad
// records in the same topic; labels stored afterwards. Then replay jobs (workflow `replayJob` with the real replay
// activities, reading the topic back by time or offset): the same range twice gives the same report, a job whose worker
// is shut down mid-way and restarted gives it again, bad records are counted and listed, replaying the champion itself
// changes no decision (features recomputed point in time = what serving computed), and a pf-v1 rebuild of the feature
// log reproduces the served vectors exactly.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Command } from 'commander';
import { eq, inArray, sql } from 'drizzle-orm';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createActivities } from '../../activities';
import { createReplayActivities } from '../../activities/replay.activities';
import { createEvent, paymentInitiatedV1, type EventEnvelope, type PaymentInitiatedV1 } from '../../schemas';
import { registerReplayCommands, replayParams, startOrAttachReplay, followReplay } from '../../cli/commands/replay';
import { createDb, type DbHandle } from '../../src/db/client';
import {
  decision,
  featureLog,
  label,
  paymentHold,
  replayBadEvent,
  replayDecision,
  replayReport,
  userRiskProfile,
} from '../../src/db/schema';
import { Bridge } from '../../src/kafka/bridge';
import { connectProducer } from '../../src/kafka/producer';
import { dlqTopic } from '../../src/kafka/topics';
import { evaluateScores } from '../../src/model/metrics';
import { exportOnnx } from '../../src/model/onnx-export';
import { promote, registerVersion } from '../../src/model/registry';
import { ModelRuntime } from '../../src/model/runtime';
import { generateTrainingSet } from '../../src/model/synthetic';
import { predictProbability, trainLogisticRegression } from '../../src/model/train';
import { createLogger } from '../../src/observability/logger';
import { bundleWorkflows } from '../../workers/bundle-workflows';
import { progressQuery, type RebuildReport, type ReplayJobParams, type ReplayReport, type ScoreReport } from '../../workflows/replay-job/replay-job.messages';
import { createTopics, deleteTopics, testKafka } from '../helpers/kafka';
import { closeRig, startTestOutbox, type TestOutbox, DAY, deleteModelRows, deleteSagaRows, INTEGRATION_PII_KEY, testPaymentRoute } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const modelName = uniqueName('fraud-it-replay');
const USERS = 16;
const WAVES = 4;

function artifact(seed: number, version: string) {
  const set = generateTrainingSet({ rows: 6_000, seed });
  const model = trainLogisticRegression(set.X, set.y);
  return { art: exportOnnx(model, { modelName, modelVersion: version }), metrics: evaluateScores(predictProbability(model, set.X), set.y) };
}

/** A report without what legitimately differs between two runs of the same range. */
function comparable(r: ReplayReport): Omit<ReplayReport, 'replayId' | 'durationMs' | 'eventsPerSecond'> {
  const { replayId: _id, durationMs: _d, eventsPerSecond: _e, ...rest } = r;
  return rest;
}

describe('replay and backfill on the real stack', () => {
  const topic = uniqueName('it-replay-initiated');
  const sagaQueue = uniqueName('it-replay-saga');
  const replayQueue = uniqueName('it-replay-jobs');
  const champion = `${modelName}-v1`;
  const challenger = `${modelName}-v2`;
  const users: string[] = [];
  const payments: string[] = [];
  const replayIds: string[] = [];
  let kafka: Kafka;
  let producer: Producer;
  let db: DbHandle;
  let outbox: TestOutbox | undefined;
  let models: ModelRuntime;
  let connection: Connection;
  let client: Client;
  let nativeConnection: NativeConnection;
  let sagaWorker: Worker;
  let sagaRun: Promise<void>;
  let bridge: Bridge;
  let workflowBundle: Awaited<ReturnType<typeof bundleWorkflows>>;
  let range: { from: string; to: string };

  async function replayWorker(): Promise<{ worker: Worker; run: Promise<void> }> {
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: stackEnv.temporalNamespace,
      taskQueue: replayQueue,
      workflowBundle,
      activities: createReplayActivities({ db: db.db, kafka, logger }),
      maxConcurrentActivityTaskExecutions: 1,
      shutdownGraceTime: '200ms',
      shutdownForceTime: '2s',
    });
    return { worker, run: worker.run() };
  }

  async function replay(overrides: Partial<Parameters<typeof replayParams>[0]>): Promise<{ params: ReplayJobParams; report: ReplayReport; lines: string[] }> {
    const params = replayParams({ topic, modelName, from: range.from, to: range.to, model: champion, ...overrides });
    replayIds.push(params.replayId);
    const { handle } = await startOrAttachReplay(client, params, { taskQueue: replayQueue });
    const lines: string[] = [];
    const { report } = await followReplay(handle, { write: (s: string) => lines.push(s), isTTY: false }, 200);
    return { params, report, lines };
  }

  // The saga publishes here (scored, flagged, …): topics of this file only.
  const sagaTopics = { scored: uniqueName('it-replay-scored'), flagged: uniqueName('it-replay-flagged'), flagRetracted: uniqueName('it-replay-retracted'), labeled: uniqueName('it-replay-labeled') };

  beforeAll(async () => {
    kafka = testKafka();
    await createTopics(kafka, [topic, dlqTopic(topic), ...Object.values(sagaTopics)], 3);
    [producer, connection, nativeConnection] = await Promise.all([
      connectProducer(kafka),
      Connection.connect({ address: stackEnv.temporalAddress }),
      NativeConnection.connect({ address: stackEnv.temporalAddress }),
    ]);
    client = new Client({ connection, namespace: stackEnv.temporalNamespace });
    db = createDb(stackEnv.databaseUrl, { max: 8 });
    outbox = startTestOutbox(kafka, stackEnv.databaseUrl);

    // Champion and challenger in the registry; serving runs the champion's registered artifact.
    const lineage = { datasetHash: 'd'.repeat(64), rowCount: 6_000, labelTimeRange: null, codeVersion: 'it', trainedAt: new Date().toISOString(), source: 'synthetic' };
    const c1 = artifact(11, champion);
    const c2 = artifact(29, challenger);
    for (const [version, a] of [[champion, c1], [challenger, c2]] as const) {
      await registerVersion(db.db, { modelName, version, family: 'logreg', artifact: a.art.bytes, featureSpecVersion: 'pf-v1', metrics: a.metrics, lineage });
    }
    await promote(db.db, modelName, champion, 'it-setup', 'initial champion');
    models = new ModelRuntime({ modelName });
    await models.setChampion(champion, c1.art.bytes, c1.art.sha256);

    workflowBundle = await bundleWorkflows();
    sagaWorker = await Worker.create({
      connection: nativeConnection,
      namespace: stackEnv.temporalNamespace,
      taskQueue: sagaQueue,
      workflowBundle,
      activities: createActivities({ db: db.db, models, piiHashKey: INTEGRATION_PII_KEY, modelName, logger, topics: sagaTopics }),
    });
    sagaRun = sagaWorker.run();
    const route = testPaymentRoute(topic, sagaQueue);
    bridge = new Bridge({ kafka, temporal: client, producer, routes: [route], logger, metrics: new Registry() }, { groupId: uniqueName('it-replay-bridge') });
    await bridge.start();

    // Users: half benign, half risky (young account, high risk score, new device abroad on crypto).
    const now = Date.now();
    for (let u = 0; u < USERS; u++) {
      const userId = uniqueName(u % 2 === 0 ? 'it-replay-benign' : 'it-replay-risky');
      users.push(userId);
      const risky = u % 2 === 1;
      await db.db.insert(userRiskProfile).values({ userId, riskScore: risky ? 0.7 : 0.05, homeCountry: 'DE', accountCreatedAt: new Date(now - (risky ? 3 : 900) * DAY), knownDevices: ['dev-home'] });
    }

    // Waves: the k-th payment of every user, 8 s of event time apart; a wave is decided before the next is produced,
    // so the velocity and risk raises each payment saw are settled (no race between one user's sagas).
    const fromMs = Date.now() - 1_000;
    const base = Date.now();
    const sent: Array<EventEnvelope<PaymentInitiatedV1>> = [];
    for (let k = 0; k < WAVES; k++) {
      const wave = users.map((userId, u) => {
        const risky = u % 2 === 1;
        const e = createEvent(paymentInitiatedV1, {
          source: 'urn:it-replay',
          data: {
            paymentId: `pay-${randomUUID()}`,
            userId,
            merchantId: 'merch-1',
            amount: risky ? 1_500 + 700 * k + 37 * u : 20 + 3 * u + k,
            currency: 'EUR',
            country: risky && (u + k) % 3 !== 0 ? 'NG' : 'DE',
            merchantCategory: risky ? (k % 2 === 0 ? 'crypto' : 'gift_cards') : 'grocery',
            deviceId: risky && k > 0 ? `dev-new-${k}` : 'dev-home',
            eventTime: new Date(base + k * 8_000 + u * 50).toISOString(),
          },
        });
        payments.push(e.data.paymentId);
        sent.push(e);
        return e;
      });
      const messages = wave.map((e) => ({ key: e.subject, value: JSON.stringify(e) }));
      if (k === 1) {
        // Bad records in the range: not JSON, no key, a broken contract. The bridge dead-letters them.
        const broken = createEvent(paymentInitiatedV1, { source: 'urn:it-replay', data: { ...wave[0].data, paymentId: `pay-${randomUUID()}` } });
        const brokenJson = JSON.parse(JSON.stringify(broken)) as { data: { amount: number } };
        brokenJson.data.amount = -5;
        messages.splice(3, 0, { key: users[0], value: 'this is not json {' });
        messages.splice(7, 0, { key: null as unknown as string, value: JSON.stringify(wave[1]) });
        messages.splice(11, 0, { key: users[0], value: JSON.stringify(brokenJson) });
      }
      await producer.send({ topic, acks: -1, messages });
      await eventually(
        async () => Number((await db.db.select({ n: sql<number>`count(*)::int` }).from(decision).where(inArray(decision.paymentId, wave.map((e) => e.data.paymentId))))[0].n),
        (n) => n === wave.length,
        { timeoutMs: 120_000, what: `wave ${k} decided` },
      );
    }
    const toMs = Date.now() + 1_000;
    range = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };

    // Labels known now: risky users' payments are fraud, benign ones legit, with a few surprises both ways.
    const rows = sent.map((e, i) => {
      const risky = users.indexOf(e.data.userId) % 2 === 1;
      const surprise = i % 11 === 5;
      return { paymentId: e.data.paymentId, label: (risky !== surprise ? 'fraud' : 'legit') as 'fraud' | 'legit', source: 'chargeback', labeledAt: new Date(), eventId: randomUUID() };
    });
    await db.db.insert(label).values(rows);
  }, 600_000);

  afterAll(async () => {
    await bridge?.stop();
    sagaWorker?.shutdown();
    await sagaRun?.catch(() => undefined);
    for (const id of replayIds) await client?.workflow.getHandle(id).terminate('test cleanup').catch(() => undefined);
    for (const p of payments) await client?.workflow.getHandle(`payment-${p}`).terminate('test cleanup').catch(() => undefined);
    if (db) {
      const d = db.db;
      const ids = replayIds.length ? replayIds : ['-'];
      await d.delete(replayDecision).where(inArray(replayDecision.replayId, ids));
      await d.delete(replayBadEvent).where(inArray(replayBadEvent.replayId, ids));
      await d.delete(replayReport).where(inArray(replayReport.replayId, ids));
      const workflows = (await d.select({ w: decision.workflowId }).from(decision).where(inArray(decision.paymentId, payments))).map((r) => r.w);
      await deleteSagaRows(d, { payments, users, workflows });
      await deleteModelRows(d, modelName);
      await db.close();
    }
    await closeRig({ outbox, producer, models, nativeConnections: [nativeConnection], connection, kafka, topics: [topic, dlqTopic(topic), ...Object.values(sagaTopics)] });
  });

  let baseline: ScoreReport;

  it('replaying the champion over its own range changes nothing: same features, same scores, bad records listed; never acts', async () => {
    const holdsBefore = Number((await db.db.select({ n: sql<number>`count(*)::int` }).from(paymentHold).where(inArray(paymentHold.paymentId, payments)))[0].n);
    const { worker, run } = await replayWorker();
    try {
      const { report, lines } = await replay({ chunkSize: 7 });
      expect(report.kind).toBe('score');
      const r = report as ScoreReport;
      const total = payments.length + 3;
      expect(r.events).toEqual({ read: total, replayed: payments.length, bad: 3, skipped: 0 });
      expect(r.badEvents.map((b) => b.code).sort()).toEqual(['CONTRACT_VIOLATION', 'MISSING_KEY', 'NOT_JSON'].sort());
      expect(r.badEvents.find((b) => b.code === 'CONTRACT_VIOLATION')?.reason).toContain('data.amount');
      baseline = r;
      // Point in time = what serving computed, for every payment; so where the champion decided (not the rules
      // fallback of a busy moment), the replayed champion decides exactly as it did.
      expect(r.featureMismatches).toBe(0);
      const served = new Map((await db.db.select().from(decision).where(inArray(decision.paymentId, payments))).map((d) => [d.paymentId, d]));
      const fallbacks = [...served.values()].filter((d) => d.fallback).length;
      expect(r.championVersions.reduce((n, c) => n + c.decisions, 0)).toBe(payments.length);
      expect(r.championVersions.find((c) => c.version === champion)?.decisions).toBe(payments.length - fallbacks);
      expect(r.changes.compared).toBe(payments.length);
      expect(r.changes.flagToApprove + r.changes.approveToFlag).toBeLessThanOrEqual(fallbacks);
      expect(r.quality.rows).toBe(payments.length);
      expect(r.quality.replayed.flagged).toBeGreaterThan(0);
      const stored = await db.db.select().from(replayDecision).where(eq(replayDecision.replayId, r.replayId));
      expect(stored).toHaveLength(payments.length);
      let compared = 0;
      for (const row of stored) {
        const then = served.get(row.paymentId)!;
        expect(row.features).toEqual(then.features);
        expect(row.matchesFeatureLog).toBe(true);
        if (then.fallback) continue;
        compared++;
        expect(row.score).toBeCloseTo(then.score, 6);
        expect(row.decision).toBe(then.decision);
      }
      expect(compared).toBe(payments.length - fallbacks);
      if (fallbacks === 0) expect(r.quality.delta).toEqual({ rocAuc: expect.closeTo(0, 6), precision: 0, recall: 0 });
      // No hold, notification or risk change from a replay.
      expect(Number((await db.db.select({ n: sql<number>`count(*)::int` }).from(paymentHold).where(inArray(paymentHold.paymentId, payments)))[0].n)).toBe(holdsBefore);
      expect(lines.join('')).toContain('offsets');
      process.stderr.write(`[replay it] champion replay: ${r.events.read} events in ${r.durationMs} ms (${r.eventsPerSecond} events/s)\n`);
    } finally {
      worker.shutdown();
      await run;
    }
  });

  it('the challenger over the same range, twice: the same report; the same command attaches to the finished job', async () => {
    const { worker, run } = await replayWorker();
    try {
      const first = await replay({ model: challenger, chunkSize: 10 });
      const second = await replay({ model: challenger, chunkSize: 25, id: `${first.params.replayId}-again` });
      expect(comparable(second.report)).toEqual(comparable(first.report));
      const r = first.report as ScoreReport;
      expect(r.modelVersion).toBe(challenger);
      expect(r.events.bad).toBe(3);
      expect(r.quality.rows).toBe(payments.length);
      expect(r.changes.compared).toBe(payments.length);
      expect(r.changes.flagToApprove + r.changes.approveToFlag + r.changes.unchanged).toBe(payments.length);
      // Same parameters → same id → attached to the completed job, its report returned as it was.
      const again = replayParams({ topic, modelName, from: range.from, to: range.to, model: challenger, chunkSize: 10 });
      expect(again.replayId).toBe(first.params.replayId);
      const { handle, attached } = await startOrAttachReplay(client, again, { taskQueue: replayQueue });
      expect(attached).toBe(true);
      expect((await handle.result()).report).toEqual(first.report);
      process.stderr.write(
        `[replay it] challenger vs champion on ${r.quality.rows} labelled: AUC ${r.quality.replayed.rocAuc?.toFixed(4)} vs ${r.quality.champion.rocAuc?.toFixed(4)} (Δ ${r.quality.delta.rocAuc?.toFixed(4)}), precision Δ ${r.quality.delta.precision?.toFixed(4)}, recall Δ ${r.quality.delta.recall?.toFixed(4)}; changes flag→approve ${r.changes.flagToApprove}, approve→flag ${r.changes.approveToFlag}; ${r.eventsPerSecond} events/s\n`,
      );
    } finally {
      worker.shutdown();
      await run;
    }
  });

  it('a job whose worker is shut down mid-way resumes from its checkpoint on a new worker: same report, nothing counted twice', async () => {
    const params = replayParams({ topic, modelName, from: range.from, to: range.to, model: champion, chunkSize: 4, id: `replay-it-killed-${randomUUID().slice(0, 8)}` });
    params.heartbeatTimeoutMs = 3_000;
    replayIds.push(params.replayId);
    const first = await replayWorker();
    const { handle } = await startOrAttachReplay(client, params, { taskQueue: replayQueue });
    const mid = await eventually(async () => handle.query(progressQuery).catch(() => undefined), (p) => (p?.chunks ?? 0) >= 3, { timeoutMs: 120_000, intervalMs: 100, what: '3 chunks done' });
    first.worker.shutdown();
    await first.run.catch(() => undefined);
    const stopped = await handle.query(progressQuery).catch(() => mid);
    expect(stopped?.phase).not.toBe('done');
    const second = await replayWorker();
    try {
      const { report } = await followReplay(handle, { write: () => undefined, isTTY: false }, 200);
      expect(comparable(report)).toEqual(comparable(baseline));
      const rows = Number((await db.db.select({ n: sql<number>`count(*)::int` }).from(replayDecision).where(eq(replayDecision.replayId, params.replayId)))[0].n);
      expect(rows).toBe(payments.length);
      const progress = await handle.query(progressQuery);
      expect(progress.totals).toEqual({ read: payments.length + 3, replayed: payments.length, bad: 3, skipped: 0 });
      // Whether the shutdown caught a chunk mid-way depends on timing: said, not asserted.
      const events = (await handle.fetchHistory()).events ?? [];
      const retried = events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
      const timedOut = events.filter((e) => e.activityTaskTimedOutEventAttributes).length;
      process.stderr.write(`[replay it] killed job: resumed after ${mid?.chunks} chunks; ${retried} chunk attempts > 1, ${timedOut} timed out\n`);
    } finally {
      second.worker.shutdown();
      await second.run;
    }
  });

  it('a long range continues as new on the real server and still replays every event once', async () => {
    const longTopic = uniqueName('it-replay-long');
    await createTopics(kafka, [longTopic], 3);
    const N = 2_000;
    try {
      const events = Array.from({ length: N }, (_, i) =>
        createEvent(paymentInitiatedV1, {
          source: 'urn:it-replay',
          data: { paymentId: `pay-long-${randomUUID()}`, userId: `long-user-${i % 97}`, merchantId: 'm', amount: 10 + (i % 300), currency: 'EUR', country: i % 7 === 0 ? 'NG' : 'DE', merchantCategory: i % 5 === 0 ? 'crypto' : 'grocery', deviceId: 'd', eventTime: new Date(Date.now() - (N - i) * 100).toISOString() },
        }),
      );
      for (let i = 0; i < N; i += 500) await producer.send({ topic: longTopic, acks: -1, messages: events.slice(i, i + 500).map((e) => ({ key: e.subject, value: JSON.stringify(e) })) });
      const { worker, run } = await replayWorker();
      try {
        const params = replayParams({ topic: longTopic, modelName, from: '0', to: String(N), model: challenger, chunkSize: 250 });
        params.chunksPerRun = 3;
        replayIds.push(params.replayId);
        const { handle } = await startOrAttachReplay(client, params, { taskQueue: replayQueue });
        const { report } = await followReplay(handle, { write: () => undefined, isTTY: false }, 500);
        expect(report.events).toEqual({ read: N, replayed: N, bad: 0, skipped: 0 });
        const progress = await handle.query(progressQuery);
        expect(progress.runs).toBeGreaterThan(1);
        expect(progress.partitions.reduce((n, p) => n + Number(p.next), 0)).toBe(N);
        const rows = Number((await db.db.select({ n: sql<number>`count(*)::int` }).from(replayDecision).where(eq(replayDecision.replayId, params.replayId)))[0].n);
        expect(rows).toBe(N);
        const r = report as ScoreReport;
        expect(r.quality.rows).toBe(0); // nothing of this topic was decided or labelled
        process.stderr.write(`[replay it] long range: ${N} events, ${progress.chunks} chunks in ${progress.runs} runs, ${r.durationMs} ms (${r.eventsPerSecond} events/s)\n`);
      } finally {
        worker.shutdown();
        await run;
      }
    } finally {
      await deleteTopics(kafka, [longTopic]).catch(() => undefined);
    }
  });

  it('rebuilding the pf-v1 feature log reproduces the served vectors exactly, and fills in missing rows', async () => {
    const { worker, run } = await replayWorker();
    try {
      const full = await replay({ model: undefined, rebuild: 'features', specVersion: 'pf-v1', chunkSize: 20 });
      const r = full.report as RebuildReport;
      expect(r.kind).toBe('rebuild-features');
      expect(r.featureLog).toEqual({ inserted: 0, replaced: 0, identical: payments.length, differs: 0 });
      expect(r.differing).toEqual([]);
      expect(r.events.bad).toBe(3);

      // Lose three logged rows; a rebuild puts back exactly what serving had logged.
      const lost = payments.slice(5, 8);
      const saved = await db.db.select().from(featureLog).where(inArray(featureLog.paymentId, lost));
      await db.db.delete(featureLog).where(inArray(featureLog.paymentId, lost));
      const again = await replay({ model: undefined, rebuild: 'features', specVersion: 'pf-v1', chunkSize: 20, id: `${full.params.replayId}-refill` });
      expect((again.report as RebuildReport).featureLog).toEqual({ inserted: 3, replaced: 0, identical: payments.length - 3, differs: 0 });
      const refilled = await db.db.select().from(featureLog).where(inArray(featureLog.paymentId, lost));
      const byId = new Map(saved.map((s) => [s.paymentId, s]));
      expect(refilled).toHaveLength(3);
      for (const row of refilled) {
        expect(row.vector).toEqual(byId.get(row.paymentId)!.vector);
        expect(row.features).toEqual(byId.get(row.paymentId)!.features);
        expect(row.featureSpecVersion).toBe('pf-v1');
      }
      // `replay show` prints the stored report.
      const program = new Command().exitOverride();
      registerReplayCommands(program);
      const out: string[] = [];
      const spy = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
      try {
        await program.parseAsync(['replay', 'show', full.params.replayId], { from: 'user' });
      } finally {
        spy.mockRestore();
      }
      expect(out.join('\n')).toContain(`feature log: 0 inserted, 0 replaced (other spec), ${payments.length} identical, 0 differ`);
      expect(out.join('\n')).toContain('bad events (3)');
    } finally {
      worker.shutdown();
      await run;
    }
  });
});
