// The learning loop on the real stack: labels produced to Kafka → bridge (signalWithStart, batched) → learningLoop
// with the real activities (PostgreSQL label store, training on feature_log ⋈ label, ONNX export, registry) → gate →
// shadow (the saga's shadow scores are simulated: decision rows scored by both ONNX artifacts) → approval through
// the CLI → champion alias flipped in the registry with the approver in the alias history.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Command } from 'commander';
import { and, eq, inArray, like } from 'drizzle-orm';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createLearningActivities } from '../../activities/learning.activities';
import { createScoringActivities } from '../../activities/scoring.activities';
import { createEvent, paymentLabeledV1, type EventEnvelope, type PaymentLabeledV1 } from '../../schemas';
import { registerLearningCommands } from '../../cli/commands/learning';
import { CliUsageError } from '../../cli/output';
import { createDb, type DbHandle } from '../../src/db/client';
import { approval, decision, driftReport, featureLog, label, learningCycle, learningTrigger } from '../../src/db/schema';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SPEC_VERSION } from '../../src/features/payment-features';
import { Bridge } from '../../src/kafka/bridge';
import { connectProducer, publishEvents } from '../../src/kafka/producer';
import type { Route, SignalWithStartRoute } from '../../src/kafka/routes';
import { dlqTopic } from '../../src/kafka/topics';
import { buildReferenceProfile } from '../../src/model/drift';
import { evaluateScores } from '../../src/model/metrics';
import { exportOnnx } from '../../src/model/onnx-export';
import { getAliases, getAliasHistory, getVersion, promote, registerVersion } from '../../src/model/registry';
import { startAliasWatcher } from '../../src/model/alias-watcher';
import { createRegistryAliasSource } from '../../src/model/registry';
import { createOrtSession, ModelRuntime } from '../../src/model/runtime';
import { generateTrainingSet } from '../../src/model/synthetic';
import { predictProbability, trainLogisticRegression } from '../../src/model/train';
import { createLogger } from '../../src/observability/logger';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import {
  LEARNING_LOOP_WORKFLOW_TYPE,
  LEARNING_SIGNALS,
  learningWorkflowId,
  statusQuery,
  type LearningLoopConfigInput,
  type LearningLoopInput,
  type LearningLoopStatus,
} from '../../workflows/learning-loop/learning-loop.messages';
import { createTopics, deleteTopics, testKafka } from '../helpers/kafka';
import { deleteModelRows } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const APPROVER = 'risk-lead@example.com';
const ROWS = 2_000;

const modelName = uniqueName('fraud-it-learn');
const paymentPrefix = `${modelName}-p`;
const taskQueue = uniqueName('it-learning');
const topic = uniqueName('it-labels');

/** Small windows so a whole cycle runs in seconds on the real server. */
const config: LearningLoopConfigInput = {
  triggers: { volumeLabels: ROWS, maxChampionAge: null, cooldown: '1h' },
  drift: { checkInterval: null },
  training: { lookback: null, minRows: 500, minPositives: 10 },
  // The gate's and the shadow's arithmetic is covered by unit and workflow tests; here a challenger from the same
  // distribution (a little better or worse by chance) must get through to the approval.
  gate: { minImprovement: -1, maxLogLossIncrease: null, minHoldoutRows: 50, minHoldoutPositives: 1 },
  shadow: { minLabeledSamples: 60, pollInterval: '1s', maxDuration: '2m', maxDegradation: 1 },
  approval: { approvers: [APPROVER], deadline: '10m' },
  watch: { duration: '3s', checkInterval: '1s', minLabeledSamples: 100_000 },
};

/** The route the product wires for payments.labeled (the lead's product-routes), on this test's topic. */
const labelRoute: SignalWithStartRoute<'payments.labeled'> = {
  mode: 'signalWithStart',
  topic,
  eventType: 'payments.labeled',
  workflowType: LEARNING_LOOP_WORKFLOW_TYPE,
  taskQueue,
  workflowId: (event) => learningWorkflowId(event.data.modelName ?? modelName),
  signal: LEARNING_SIGNALS.labels,
  startArgs: (_workflowId, event): [LearningLoopInput] => [{ modelName: event.data.modelName ?? modelName, config }],
  maxBatch: 500,
};

async function runCli(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerLearningCommands(program);
  const out: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out.join('\n');
}

describe('learning loop on the real stack', () => {
  let db: DbHandle;
  let connection: Connection;
  let client: Client;
  let nativeConnection: NativeConnection;
  let kafka: Kafka;
  let producer: Producer;
  let bridge: Bridge;
  let worker: Worker;
  let workerRun: Promise<void>;
  let handle: WorkflowHandle;

  const synthetic = generateTrainingSet({ rows: ROWS, seed: 4242, fraudRate: 0.05 });
  const paymentId = (i: number) => `${paymentPrefix}${String(i).padStart(5, '0')}`;
  const vector = (i: number) => Array.from(synthetic.X.data.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));

  beforeAll(async () => {
    db = createDb(stackEnv.databaseUrl, { max: 8 });
    connection = await Connection.connect({ address: stackEnv.temporalAddress });
    client = new Client({ connection, namespace: stackEnv.temporalNamespace });
    nativeConnection = await NativeConnection.connect({ address: stackEnv.temporalAddress });
    kafka = testKafka();
    await createTopics(kafka, [topic, dlqTopic(topic)], 3);
    producer = await connectProducer(kafka);

    // The champion: trained elsewhere on other data, with a drift reference, promoted by a person.
    const championSet = generateTrainingSet({ rows: 3_000, seed: 7, fraudRate: 0.05 });
    const champion = trainLogisticRegression(championSet.X, championSet.y);
    const artifact = exportOnnx(champion, { modelName, modelVersion: `${modelName}-v1` });
    await registerVersion(db.db, {
      modelName,
      version: `${modelName}-v1`,
      family: 'logreg',
      artifact: artifact.bytes,
      featureSpecVersion: champion.featureSpecVersion,
      metrics: evaluateScores(predictProbability(champion, championSet.X), championSet.y),
      lineage: { datasetHash: 'c'.repeat(64), rowCount: 3_000, labelTimeRange: null, codeVersion: 'it', trainedAt: new Date().toISOString(), source: 'synthetic:seed=7' },
      referenceProfile: buildReferenceProfile(championSet.X),
    });
    await promote(db.db, modelName, `${modelName}-v1`, 'it-setup', 'initial champion');

    // The offline store: the vectors the champion saw when these payments were scored.
    for (let start = 0; start < ROWS; start += 500) {
      await db.db.insert(featureLog).values(
        Array.from({ length: Math.min(500, ROWS - start) }, (_, k) => {
          const i = start + k;
          const v = vector(i);
          return {
            paymentId: paymentId(i),
            featureSpecVersion: synthetic.specVersion,
            features: Object.fromEntries(FEATURE_NAMES.map((n, j) => [n, v[j]])),
            vector: v,
            eventTime: new Date(synthetic.eventTimeMs[i]),
          };
        }),
      );
    }

    worker = await Worker.create({
      connection: nativeConnection,
      namespace: stackEnv.temporalNamespace,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'), // the loop and its learningCycle children
      activities: createLearningActivities({ db: db.db, logger, codeVersion: 'it' }),
    });
    workerRun = worker.run();
    bridge = new Bridge({ kafka, temporal: client, producer, routes: [labelRoute as unknown as Route], logger, metrics: new Registry() }, { groupId: uniqueName('it-learning-bridge') });
    await bridge.start();
    handle = client.workflow.getHandle(learningWorkflowId(modelName));
  });

  afterAll(async () => {
    await bridge?.stop();
    await handle?.terminate('test done').catch(() => undefined);
    worker?.shutdown();
    await workerRun?.catch(() => undefined);
    await producer?.disconnect();
    if (kafka) await deleteTopics(kafka, [topic, dlqTopic(topic)]).catch(() => undefined);
    if (db) {
      const d = db.db;
      await d.delete(label).where(like(label.paymentId, `${paymentPrefix}%`));
      await d.delete(featureLog).where(like(featureLog.paymentId, `${paymentPrefix}%`));
      await deleteModelRows(d, modelName);
      await db.close();
    }
    await connection?.close();
    await nativeConnection?.close();
  });

  const status = (): Promise<LearningLoopStatus> => handle.query(statusQuery);
  const until = (done: (s: LearningLoopStatus) => boolean, what: string, timeoutMs = 90_000) =>
    eventually(() => status().catch(() => undefined), (s) => s !== undefined && done(s), { timeoutMs, intervalMs: 300, what }) as Promise<LearningLoopStatus>;

  it('labels through Kafka drive a cycle to approval; approval via the CLI promotes, and scoring serves the new champion', async () => {
    // 1. Ground truth arrives on payments.labeled; a slice of it twice (at-least-once delivery).
    const labels: Array<EventEnvelope<PaymentLabeledV1>> = Array.from({ length: ROWS }, (_, i) =>
      createEvent(paymentLabeledV1, {
        source: 'urn:it',
        data: { paymentId: paymentId(i), label: synthetic.y[i] === 1 ? 'fraud' : 'legit', source: 'chargeback', labeledAt: new Date(synthetic.labelTimeMs[i]).toISOString(), modelName },
      }),
    );
    await publishEvents(producer, topic, labels);
    await publishEvents(producer, topic, labels.slice(0, 100));

    // 2. The volume trigger fires once every label is stored; retrain → gate → shadow.
    let s = await until((st) => st.phase === 'shadowing' || st.history.length > 0, 'cycle reaches the shadow');
    expect(s.history).toEqual([]);
    expect(s.labels.total).toBe(ROWS);
    expect(await db.db.$count(label, like(label.paymentId, `${paymentPrefix}%`))).toBe(ROWS);
    const cycle = s.cycle!;
    expect(cycle.trigger).toMatchObject({ kind: 'volume', reason: `${ROWS} new labels since the last training (threshold ${ROWS})` });
    const candidate = cycle.candidate!;
    expect(candidate).toBe(`${modelName}-v2`);
    expect(cycle.training).toMatchObject({ version: candidate, reused: false });
    expect(cycle.training!.rows).toBeGreaterThanOrEqual(ROWS);
    expect(cycle.gate).toMatchObject({ passed: true, championVersion: `${modelName}-v1` });
    const registered = await getVersion(db.db, modelName, candidate);
    expect(registered?.lineage).toMatchObject({ source: `learning-loop:${cycle.id}`, datasetHash: cycle.training!.datasetHash, trainedAt: cycle.asOf });
    expect((await getAliases(db.db, modelName)).shadow).toBe(candidate);

    // 3. The saga scores live payments with the champion and, in shadow, the candidate (simulated here with the
    //    registered ONNX artifacts, exactly as the runtime would).
    const scorer = async (version: string) => {
      const v = await getVersion(db.db, modelName, version);
      return createOrtSession(v!.artifact);
    };
    const [champ, shadow] = await Promise.all([scorer(`${modelName}-v1`), scorer(candidate)]);
    const live = Array.from({ length: 80 }, (_, k) => k * 20);
    const X = Float32Array.from(live.flatMap((i) => vector(i)));
    const [pc, ps] = await Promise.all([champ.run(X, live.length, FEATURE_COUNT), shadow.run(X, live.length, FEATURE_COUNT)]);
    await Promise.all([champ.release(), shadow.release()]);
    const decidedAt = new Date();
    await db.db.insert(decision).values(
      live.map((i, k) => ({
        paymentId: paymentId(i),
        workflowId: `payment-it-${i}`,
        runId: 'run',
        correlationId: `corr-${i}`,
        decision: pc.probability[k] > 0.85 ? ('FLAG' as const) : ('APPROVE' as const),
        status: 'approved',
        score: pc.probability[k],
        threshold: 0.85,
        modelName,
        modelVersion: `${modelName}-v1`,
        shadowVersion: candidate,
        shadowScore: ps.probability[k],
        reasons: [],
        features: {},
        actions: [],
        decidedAt,
      })),
    );

    // 4. The shadow ends on enough labelled pairs; the loop waits for a person.
    s = await until((st) => st.phase === 'awaiting-approval', 'approval request');
    expect(s.cycle?.shadow).toMatchObject({ endedBy: 'min-samples', comparison: { samples: 80 } });
    expect(s.awaitingApproval?.version).toBe(candidate);
    expect(await runCli(['learning', 'status', modelName])).toContain(`AWAITING APPROVAL: ${candidate}`);
    expect((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.LearningPhase)).toBe('awaiting-approval');

    // The saga's scoring step as a worker runs it: a model runtime following the registry's aliases.
    const serving = new ModelRuntime({ modelName });
    const watcher = startAliasWatcher(serving, createRegistryAliasSource(db.db, modelName), { intervalMs: 500 });
    await watcher.ready;
    const { scorePayment } = createScoringActivities({ models: serving, modelName });
    const probe = { paymentId: 'it-probe', featureSpecVersion: FEATURE_SPEC_VERSION, vector: Array.from({ length: FEATURE_COUNT }, (_, i) => (i === 0 ? 120 : 0)) };
    expect((await scorePayment(probe)).modelVersion).toBe(`${modelName}-v1`);

    // 5. The CLI refuses a decision without an allowed identity, then an allowed approver promotes.
    await expect(runCli(['approve', modelName, '--version', candidate, '--approver', 'mallory@example.com'])).rejects.toThrow(
      new CliUsageError('refused (APPROVER_NOT_ALLOWED): mallory@example.com is not an approver of this model'),
    );
    await expect(runCli(['approve', modelName, '--version', `${modelName}-v9`, '--approver', APPROVER])).rejects.toThrow(/VERSION_MISMATCH/);
    const saved = process.env.MAINSPRING_APPROVER;
    delete process.env.MAINSPRING_APPROVER;
    await expect(runCli(['approve', modelName, '--version', candidate])).rejects.toThrow(/needs an identity/);
    if (saved !== undefined) process.env.MAINSPRING_APPROVER = saved;
    const out = await runCli(['approve', modelName, '--version', candidate, '--approver', APPROVER, '--reason', 'shadow on par, fresher data']);
    expect(out).toBe(`approved ${candidate} by ${APPROVER}: champion ${modelName}-v1 → ${candidate}`);

    // 6. The registry: champion flipped once, with the approver and the reason in the alias history.
    expect(await getAliases(db.db, modelName)).toMatchObject({ champion: candidate, previous: `${modelName}-v1` });
    const championMoves = (await getAliasHistory(db.db, modelName)).filter((e) => e.alias === 'champion');
    expect(championMoves.map((e) => [e.from, e.to, e.actor])).toEqual([
      [`${modelName}-v1`, candidate, APPROVER],
      [null, `${modelName}-v1`, 'it-setup'],
    ]);
    expect(championMoves[0].reason).toContain('shadow on par, fresher data');
    // …and the saga's next decisions use the new champion (every worker serves it within 5 s).
    try {
      await eventually(async () => (await scorePayment(probe)).modelVersion, (v) => v === candidate, { what: 'new champion served', timeoutMs: 5_000 });
    } finally {
      await watcher.stop();
      await serving.close();
    }

    // 7. The watch ends (too few labels to judge: no rollback); every artefact is stored.
    s = await until((st) => st.history.length === 1, 'cycle ends');
    expect(s.history[0]).toMatchObject({ outcome: 'promoted', promotion: { approver: APPROVER, version: candidate }, watch: { verdict: 'inconclusive' } });
    expect((await getAliases(db.db, modelName)).shadow).toBeNull();
    const row = await eventually(
      async () => (await db.db.select().from(learningCycle).where(eq(learningCycle.id, cycle.id)))[0],
      (r) => r?.outcome === 'promoted',
      { what: 'learning_cycle row' },
    );
    expect(row).toMatchObject({ candidateVersion: candidate, triggerKind: 'volume', championAtStart: `${modelName}-v1` });
    expect(row.gate?.passed).toBe(true);
    expect(row.shadow?.comparison?.samples).toBe(80);
    const approvals = await db.db.select().from(approval).where(and(eq(approval.modelName, modelName), eq(approval.status, 'approved')));
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatchObject({ version: candidate, decidedBy: APPROVER, via: 'update', cycleId: cycle.id });
    const triggers = await db.db.select().from(learningTrigger).where(inArray(learningTrigger.modelName, [modelName]));
    expect(triggers.map((t) => [t.kind, t.outcome, t.cycleId])).toEqual([['volume', 'started', cycle.id]]);
  });

  it('the drift check compares the logged window with the champion training reference and stores the report', async () => {
    const activities = createLearningActivities({ db: db.db, logger });
    const champion = (await getAliases(db.db, modelName)).champion;
    const r = await activities.checkDrift({ modelName, asOf: new Date().toISOString(), windowMs: 3_600_000, minRows: 100 });
    expect(r.status).toBe('checked');
    if (r.status !== 'checked') return;
    expect(r.champion?.version).toBe(champion);
    expect(r.finding).toMatchObject({ source: 'periodic', championVersion: champion });
    expect(r.finding.rows).toBeGreaterThanOrEqual(ROWS);
    const [stored] = await db.db.select().from(driftReport).where(eq(driftReport.id, Number(r.finding.reportId)));
    expect(stored).toMatchObject({ modelName, championVersion: champion, datasetDrift: r.finding.datasetDrift });
    const skipped = await activities.checkDrift({ modelName: `${modelName}-none`, asOf: new Date().toISOString(), windowMs: 3_600_000, minRows: 100 });
    expect(skipped).toEqual({ status: 'skipped', reason: 'no-champion', champion: null });
  });
});
