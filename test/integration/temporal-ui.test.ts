// The Temporal UI in a real browser (Debian chromium driven by playwright-core) against the dev server of the test
// stack: a flagged payment saga is found through our search attributes and its summary/details are read; a learning
// loop waiting for approval is approved through the UI's "Send a Signal" dialog and the registry shows the promotion.
// Everything behind the UI is real: Kafka → bridge → worker with the real activities, PostgreSQL, ONNX.
// Screenshots of every step (and of the page at a failure) land in test-artifacts/e2e/ (gitignored).
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { and, eq, like } from 'drizzle-orm';
import type { Kafka, Producer } from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { createActivities } from '../../activities';
import { createLearningActivities } from '../../activities/learning.activities';
import { createEvent, paymentLabeledV1 } from '../../schemas';
import { createDb, type DbHandle } from '../../src/db/client';
import {
  approval,
  decision,
  featureLog,
  label,
} from '../../src/db/schema';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/features/payment-features';
import { Bridge } from '../../src/kafka/bridge';
import { connectProducer, publishEvents } from '../../src/kafka/producer';
import type { Route, SignalWithStartRoute } from '../../src/kafka/routes';
import { dlqTopic } from '../../src/kafka/topics';
import { buildReferenceProfile } from '../../src/model/drift';
import { evaluateScores } from '../../src/model/metrics';
import { exportOnnx } from '../../src/model/onnx-export';
import { getAliases, getAliasHistory, getVersion, promote, registerVersion } from '../../src/model/registry';
import { createOrtSession, ModelRuntime } from '../../src/model/runtime';
import { generateTrainingSet } from '../../src/model/synthetic';
import { predictProbability, trainLogisticRegression } from '../../src/model/train';
import { createLogger } from '../../src/observability/logger';
import { pseudonymize } from '../../src/security/pseudonymize';
import { bundleWorkflows } from '../../workers/bundle-workflows';
import {
  LEARNING_LOOP_WORKFLOW_TYPE,
  LEARNING_SIGNALS,
  learningWorkflowId,
  statusQuery,
  type LearningLoopConfigInput,
  type LearningLoopInput,
  type LearningLoopStatus,
} from '../../workflows/learning-loop/learning-loop.messages';
import { launchChromium, screenshot } from '../helpers/browser';
import { createTopics, testKafka } from '../helpers/kafka';
import { closeRig, startTestOutbox, type TestOutbox, deleteModelRows, deleteSagaRows, INTEGRATION_PII_KEY, SagaFixtures, sagaTestTopics, testPaymentRoute } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const APPROVER = 'risk-lead@example.com';
const ROWS = 2_000;
/** The UI is slow on a loaded 2-core machine: wait generously, never assert how long anything took. */
const UI_TIMEOUT = 60_000;

/** Only the local dev server serves the UI; global-setup exports its address. */
function temporalUi(): string {
  const url = process.env.MAINSPRING_TEMPORAL_UI;
  if (!url) throw new Error('MAINSPRING_TEMPORAL_UI is not set: the test stack serves the UI only when it runs Temporal itself; with an external TEMPORAL_ADDRESS set MAINSPRING_TEMPORAL_UI to its UI.');
  return url.replace(/\/$/, '');
}

const modelName = uniqueName('fraud-ui-learn');
const paymentPrefix = `${modelName}-p`;
const { topics, all: sagaTopics } = sagaTestTopics('it-ui');
const allTopics = [...sagaTopics, dlqTopic(topics.labeled)];
const sagaQueue = uniqueName('it-ui-saga');
const learningQueue = uniqueName('it-ui-learning');

/** Small windows so a whole cycle reaches the approval in seconds (as in learning-loop.test.ts). */
const learningConfig: LearningLoopConfigInput = {
  triggers: { volumeLabels: ROWS, maxChampionAge: null, cooldown: '1h' },
  drift: { checkInterval: null },
  training: { lookback: null, minRows: 500, minPositives: 10 },
  gate: { minImprovement: -1, maxLogLossIncrease: null, minHoldoutRows: 50, minHoldoutPositives: 1 },
  shadow: { minLabeledSamples: 60, pollInterval: '1s', maxDuration: '2m', maxDegradation: 1 },
  approval: { approvers: [APPROVER], deadline: '30m' },
  watch: { duration: '3s', checkInterval: '1s', minLabeledSamples: 100_000 },
};

const fixtures = new SagaFixtures('it-ui');
const { created, payment } = fixtures;

describe('Temporal UI in a real browser', () => {
  const ui = temporalUi();
  const ns = stackEnv.temporalNamespace;
  let browser: Browser;
  let kafka: Kafka;
  let producer: Producer;
  let db: DbHandle;
  let outbox: TestOutbox | undefined;
  let models: ModelRuntime;
  let connection: Connection;
  let client: Client;
  let nativeConnection: NativeConnection;
  let workers: Worker[] = [];
  let workerRuns: Array<Promise<void>> = [];
  let bridge: Bridge;

  beforeAll(async () => {
    // First: without a browser nothing else is worth starting (the error says `apt-get install chromium`).
    browser = await launchChromium();
    kafka = testKafka();
    await createTopics(kafka, allTopics, 3);
    [producer, connection, nativeConnection] = await Promise.all([
      connectProducer(kafka),
      Connection.connect({ address: stackEnv.temporalAddress }),
      NativeConnection.connect({ address: stackEnv.temporalAddress }),
    ]);
    client = new Client({ connection, namespace: ns });
    db = createDb(stackEnv.databaseUrl, { max: 8 });
    outbox = startTestOutbox(kafka, stackEnv.databaseUrl);
    models = new ModelRuntime({ modelName: 'fraud' });
    const set = generateTrainingSet({ rows: 6_000, seed: 101 });
    const champion = exportOnnx(trainLogisticRegression(set.X, set.y), { modelName: 'fraud', modelVersion: 'fraud-ui-1' });
    await models.setChampion('fraud-ui-1', champion.bytes, champion.sha256);

    // One bundle, one worker per task queue: the saga with its activities, the learning loop with its own.
    const workflowBundle = await bundleWorkflows();
    workers = await Promise.all([
      Worker.create({
        connection: nativeConnection,
        namespace: ns,
        taskQueue: sagaQueue,
        workflowBundle,
        activities: createActivities({ db: db.db, models, piiHashKey: INTEGRATION_PII_KEY, topics, logger }),
      }),
      Worker.create({ connection: nativeConnection, namespace: ns, taskQueue: learningQueue, workflowBundle, activities: createLearningActivities({ db: db.db, logger, codeVersion: 'it-ui' }) }),
    ]);
    workerRuns = workers.map((w) => w.run());

    // The product's routes, pointed at this file's topics and task queues.
    const sagaRoute = testPaymentRoute(topics.initiated, sagaQueue);
    const labelRoute: SignalWithStartRoute<'payments.labeled'> = {
      mode: 'signalWithStart',
      topic: topics.labeled,
      eventType: 'payments.labeled',
      workflowType: LEARNING_LOOP_WORKFLOW_TYPE,
      taskQueue: learningQueue,
      workflowId: () => learningWorkflowId(modelName),
      signal: LEARNING_SIGNALS.labels,
      startArgs: (): [LearningLoopInput] => [{ modelName, config: learningConfig }],
      maxBatch: 500,
    };
    bridge = new Bridge({ kafka, temporal: client, producer, routes: [sagaRoute, labelRoute as unknown as Route], logger, metrics: new Registry() }, { groupId: uniqueName('it-ui-bridge') });
    await bridge.start();
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.stop();
    for (const workflowId of [...created.workflows, learningWorkflowId(modelName)]) {
      await client?.workflow.getHandle(workflowId).terminate('test cleanup').catch(() => undefined);
    }
    for (const w of workers) w.shutdown();
    await Promise.all(workerRuns.map((r) => r.catch(() => undefined)));
    if (db) {
      const d = db.db;
      await deleteSagaRows(d, created);
      await d.delete(label).where(like(label.paymentId, `${paymentPrefix}%`));
      await d.delete(featureLog).where(like(featureLog.paymentId, `${paymentPrefix}%`));
      await deleteModelRows(d, modelName);
      await db.close();
    }
    await closeRig({ outbox, producer, models, nativeConnections: [nativeConnection], connection, kafka, topics: allTopics });
  });

  async function newPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.setDefaultTimeout(UI_TIMEOUT);
    page.setDefaultNavigationTimeout(UI_TIMEOUT);
    return page;
  }

  /**
   * Opens the workflow list with a visibility query and returns the workflow ids listed. Visibility trails the
   * upserts a little, so it reloads until `done` holds (or the timeout passes, returning the last listing).
   */
  async function listWorkflows(page: Page, query: string, done: (ids: string[]) => boolean): Promise<string[]> {
    const url = `${ui}/namespaces/${ns}/workflows?query=${encodeURIComponent(query)}`;
    const read = async () => {
      await page.goto(url);
      // Either the table or the empty state: wait for the list's own heading ("N Workflows") to settle.
      await page.getByRole('heading', { level: 1 }).filter({ hasText: /Workflows?/ }).waitFor();
      const table = page.getByRole('table', { name: 'Workflows' });
      const rows = table.getByRole('row').filter({ has: page.getByRole('checkbox', { name: /^Select Workflow / }) });
      const ids: string[] = [];
      for (const name of await rows.getByRole('checkbox').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))) {
        ids.push(name.replace(/^Select Workflow /, ''));
      }
      return ids;
    };
    return eventually(read, done, { timeoutMs: UI_TIMEOUT, intervalMs: 1_000, what: `workflow list for ${query}` }).catch(async () => read());
  }

  /** Text rendered inside one of the UI's markdown iframes (summary, details). */
  const frameText = (page: Page, id: string) => page.frameLocator(`iframe#${id}`).locator('body');

  const riskyUser = (eventTime: string) => fixtures.riskyUser(db.db, eventTime);
  const benignUser = () => fixtures.benignUser(db.db);

  it('finds a flagged payment saga by its search attributes and shows its summary and details', async () => {
    const eventTime = new Date().toISOString();
    const [riskyId, benignId] = await Promise.all([riskyUser(eventTime), benignUser()]);
    const flagged = payment({ userId: riskyId, amount: 4_800, country: 'NG', merchantCategory: 'crypto', deviceId: 'dev-new' }, eventTime);
    const approved = payment({ userId: benignId }, eventTime);
    await producer.send({ topic: topics.initiated, acks: -1, messages: [flagged, approved].map((e) => ({ key: e.subject, value: JSON.stringify(e) })) });
    const flaggedId = `payment-${flagged.id}`;
    const approvedId = `payment-${approved.id}`;

    // Ground truth from the database: what the UI must agree with.
    const [flagRow, approveRow] = await eventually(
      async () => Promise.all([flagged, approved].map(async (e) => (await db.db.select().from(decision).where(eq(decision.paymentId, e.data.paymentId)))[0])),
      (rows) => rows.every((r) => r !== undefined),
      { timeoutMs: 120_000, what: 'both decisions recorded' },
    );
    expect(flagRow).toMatchObject({ decision: 'FLAG', status: 'in-review', workflowId: flaggedId, modelVersion: 'fraud-ui-1' });
    expect(approveRow).toMatchObject({ decision: 'APPROVE', workflowId: approvedId });

    const page = await newPage();
    try {
      // 1. The list, filtered on our search attributes: only the flagged saga of this topic, not the approved one.
      const hashedUser = pseudonymize(riskyId, INTEGRATION_PII_KEY);
      const query = `WorkflowType="paymentSaga" AND KafkaTopic="${topics.initiated}" AND Decision="FLAG" AND RiskScore > 0.85`;
      expect(await listWorkflows(page, query, (ids) => ids.includes(flaggedId))).toEqual([flaggedId]);
      await screenshot(page, '01-saga-list-flagged');
      // The same saga by payment id and hashed user id; the raw user id is not a searchable value.
      expect(await listWorkflows(page, `PaymentId="${flagged.data.paymentId}" AND UserId="${hashedUser}"`, (ids) => ids.length > 0)).toEqual([flaggedId]);
      expect(await listWorkflows(page, `KafkaTopic="${topics.initiated}" AND Decision="APPROVE"`, (ids) => ids.length > 0)).toEqual([approvedId]);

      // 2. Open it from the list.
      await listWorkflows(page, query, (ids) => ids.includes(flaggedId));
      await page.getByRole('table', { name: 'Workflows' }).getByRole('link', { name: flaggedId, exact: true }).click();
      // The click navigates client-side: wait for the workflow page's heading instead of reading the list's.
      await page.getByRole('heading', { level: 1 }).filter({ hasText: flaggedId }).waitFor({ timeout: 60_000 });
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(flaggedId);
      await page.getByText('paymentSaga', { exact: true }).first().waitFor();
      await screenshot(page, '02-saga-workflow');

      // 3. Summary (static, set by the bridge at start) and current details (set by the saga as it goes).
      await page.getByRole('tab', { name: 'User Metadata' }).click();
      const summary = frameText(page, 'user-metadata-summary');
      await summary.getByText(flagged.data.paymentId).waitFor();
      expect((await summary.innerText()).trim()).toBe(`payment ${flagged.data.paymentId} · 4800.00 EUR`);
      const details = frameText(page, 'user-metadata-current-details');
      await details.getByText('phase in-review').waitFor();
      const detailLines = (await details.innerText()).split('\n').map((l) => l.trim()).filter(Boolean);
      expect(detailLines).toEqual([
        `payment ${flagged.data.paymentId} · 4800.00 EUR · FLAG ${flagRow!.score.toFixed(2)}`,
        'phase in-review · model fraud-ui-1 · threshold 0.85',
        'actions: hold-payment, publish-flagged, notify-fraud-team, raise-risk-profile',
      ]);
      await screenshot(page, '03-saga-summary-details');

      // 4. The indexed values: decision, score, hashed user, Kafka coordinates — never the raw user id.
      await page.getByRole('tab', { name: 'Search Attributes' }).click();
      const attributes = page.getByRole('textbox', { name: 'Search Attributes' });
      await attributes.getByText(flagged.data.paymentId).waitFor();
      const text = await attributes.innerText();
      expect(text).toMatch(/"Decision":\s*"FLAG"/);
      expect(text).toContain(`"UserId": "${hashedUser}"`);
      expect(text).toContain(`"KafkaTopic": "${topics.initiated}"`);
      expect(text).toMatch(/"ModelVersion":\s*"fraud-ui-1"/);
      expect(text).not.toContain(riskyId);
      await screenshot(page, '04-saga-search-attributes');
    } catch (err) {
      await screenshot(page, 'failed-saga').catch(() => undefined);
      throw err;
    } finally {
      await page.close();
    }
  });

  it('approves a waiting promotion through the "Send a Signal" dialog; the registry promotes the candidate', async () => {
    // A champion with its drift reference, and the offline store of vectors it scored (as in learning-loop.test.ts).
    const synthetic = generateTrainingSet({ rows: ROWS, seed: 4242, fraudRate: 0.05 });
    const paymentId = (i: number) => `${paymentPrefix}${String(i).padStart(5, '0')}`;
    const vector = (i: number) => Array.from(synthetic.X.data.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    const championSet = generateTrainingSet({ rows: 3_000, seed: 7, fraudRate: 0.05 });
    const champion = trainLogisticRegression(championSet.X, championSet.y);
    const v1 = `${modelName}-v1`;
    await registerVersion(db.db, {
      modelName,
      version: v1,
      family: 'logreg',
      artifact: exportOnnx(champion, { modelName, modelVersion: v1 }).bytes,
      featureSpecVersion: champion.featureSpecVersion,
      metrics: evaluateScores(predictProbability(champion, championSet.X), championSet.y),
      lineage: { datasetHash: 'c'.repeat(64), rowCount: 3_000, labelTimeRange: null, codeVersion: 'it-ui', trainedAt: new Date().toISOString(), source: 'synthetic:seed=7' },
      referenceProfile: buildReferenceProfile(championSet.X),
    });
    await promote(db.db, modelName, v1, 'it-ui-setup', 'initial champion');
    for (let start = 0; start < ROWS; start += 500) {
      await db.db.insert(featureLog).values(
        Array.from({ length: Math.min(500, ROWS - start) }, (_, k) => {
          const v = vector(start + k);
          return {
            paymentId: paymentId(start + k),
            featureSpecVersion: synthetic.specVersion,
            features: Object.fromEntries(FEATURE_NAMES.map((n, j) => [n, v[j]])),
            vector: v,
            eventTime: new Date(synthetic.eventTimeMs[start + k]),
          };
        }),
      );
    }

    // Labels through Kafka → bridge → the loop (volume trigger) → retrain → gate → shadow.
    await publishEvents(
      producer,
      topics.labeled,
      Array.from({ length: ROWS }, (_, i) =>
        createEvent(paymentLabeledV1, {
          source: 'urn:it-ui',
          data: { paymentId: paymentId(i), label: synthetic.y[i] === 1 ? 'fraud' : 'legit', source: 'chargeback', labeledAt: new Date(synthetic.labelTimeMs[i]).toISOString(), modelName },
        }),
      ),
    );
    const handle: WorkflowHandle = client.workflow.getHandle(learningWorkflowId(modelName));
    const until = (done: (s: LearningLoopStatus) => boolean, what: string) =>
      eventually(() => handle.query(statusQuery).catch(() => undefined), (s) => s !== undefined && done(s), { timeoutMs: 150_000, intervalMs: 500, what }) as Promise<LearningLoopStatus>;
    let status = await until((s) => s.phase === 'shadowing' || s.history.length > 0, 'cycle reaches the shadow');
    const candidate = status.cycle!.candidate!;
    expect(candidate).toBe(`${modelName}-v2`);

    // The saga's shadow scoring, simulated with the registered ONNX artifacts: 80 labelled champion/candidate pairs.
    const session = async (version: string) => createOrtSession((await getVersion(db.db, modelName, version))!.artifact);
    const [champ, shadow] = await Promise.all([session(v1), session(candidate)]);
    const live = Array.from({ length: 80 }, (_, k) => k * 20);
    const X = Float32Array.from(live.flatMap((i) => vector(i)));
    const [pc, ps] = await Promise.all([champ.run(X, live.length, FEATURE_COUNT), shadow.run(X, live.length, FEATURE_COUNT)]);
    await Promise.all([champ.release(), shadow.release()]);
    await db.db.insert(decision).values(
      live.map((i, k) => ({
        paymentId: paymentId(i),
        workflowId: `payment-it-ui-${i}`,
        runId: 'run',
        correlationId: `corr-${i}`,
        decision: pc.probability[k] > 0.85 ? ('FLAG' as const) : ('APPROVE' as const),
        status: 'approved',
        score: pc.probability[k],
        threshold: 0.85,
        modelName,
        modelVersion: v1,
        shadowVersion: candidate,
        shadowScore: ps.probability[k],
        reasons: [],
        features: {},
        actions: [],
        decidedAt: new Date(),
      })),
    );
    status = await until((s) => s.phase === 'awaiting-approval', 'approval request');
    expect(status.awaitingApproval?.version).toBe(candidate);
    expect((await getAliases(db.db, modelName)).champion).toBe(v1);

    const page = await newPage();
    try {
      // 1. Find the loop by its LearningPhase search attribute and open it.
      const workflowId = learningWorkflowId(modelName);
      const query = `WorkflowType="${LEARNING_LOOP_WORKFLOW_TYPE}" AND LearningPhase="awaiting-approval" AND WorkflowId="${workflowId}"`;
      expect(await listWorkflows(page, query, (ids) => ids.includes(workflowId))).toEqual([workflowId]);
      await screenshot(page, '05-learning-list-awaiting-approval');
      await page.getByRole('table', { name: 'Workflows' }).getByRole('link', { name: workflowId, exact: true }).click();
      // The click navigates client-side: wait for the workflow page's heading instead of reading the list's.
      await page.getByRole('heading', { level: 1 }).filter({ hasText: workflowId }).waitFor({ timeout: 60_000 });
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(workflowId);
      await screenshot(page, '06-learning-workflow');

      // 2. More Actions → Send a Signal: the signal names come from the workflow's own definitions.
      await page.getByRole('button', { name: 'More Actions' }).click();
      await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
      const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
      await dialog.getByRole('button', { name: 'Select a signal' }).click();
      await dialog.getByRole('option', { name: LEARNING_SIGNALS.approvePromotion, exact: true }).click();
      const payload = { version: candidate, approver: APPROVER, reason: 'approved in the Temporal UI' };
      const data = dialog.getByRole('textbox', { name: 'Data' });
      await data.click();
      await data.fill(JSON.stringify(payload));
      // The editor may auto-close brackets: what it holds must be exactly our JSON.
      expect(JSON.parse(await data.innerText())).toEqual(payload);
      await screenshot(page, '07-send-signal-dialog');
      await dialog.getByRole('button', { name: 'Submit' }).click();
      await dialog.waitFor({ state: 'hidden' });

      // 3. The loop promotes: registry alias flipped with the approver, the approval recorded as coming from a signal.
      status = await until((s) => s.history.length === 1, 'cycle ends after the approval');
      expect(status.refused).toEqual([]);
      expect(status.history[0]).toMatchObject({ outcome: 'promoted', promotion: { approver: APPROVER, version: candidate } });
      expect(await getAliases(db.db, modelName)).toMatchObject({ champion: candidate, previous: v1 });
      const moves = (await getAliasHistory(db.db, modelName)).filter((e) => e.alias === 'champion');
      expect(moves.map((e) => [e.from, e.to, e.actor])).toEqual([
        [v1, candidate, APPROVER],
        [null, v1, 'it-ui-setup'],
      ]);
      expect(moves[0].reason).toContain('approved in the Temporal UI');
      const approvals = await db.db.select().from(approval).where(and(eq(approval.modelName, modelName), eq(approval.status, 'approved')));
      expect(approvals).toHaveLength(1);
      expect(approvals[0]).toMatchObject({ version: candidate, decidedBy: APPROVER, via: 'signal' });

      // 4. The UI sees the loop back to idle: the same search attribute now says so.
      expect(await listWorkflows(page, `WorkflowId="${workflowId}" AND LearningPhase="idle"`, (ids) => ids.length > 0)).toEqual([workflowId]);
      await screenshot(page, '08-learning-list-idle-after-promotion');
    } catch (err) {
      await screenshot(page, 'failed-approval').catch(() => undefined);
      throw err;
    } finally {
      await page.close();
    }
  });
});
