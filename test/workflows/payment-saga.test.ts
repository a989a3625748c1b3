import type { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createScoringActivities } from '../../activities';
import { RULES_VERSION } from '../../src/model/rules';
import { ModelRuntime } from '../../src/model/runtime';
import { pseudonymize } from '../../src/security/pseudonymize';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import {
  PAYMENT_SAGA_FAILURES,
  resolveReviewUpdate,
  statusQuery,
  type PaymentSagaInput,
  type PaymentSagaStatus,
  type SagaPhase,
} from '../../workflows/payment-saga/payment-saga.messages';
import { bridgedPayment } from '../helpers/saga-events';
import { createSagaWorld, fakeSagaActivities, succeeded, TEST_PII_KEY, type FakeOptions, type SagaWorld } from '../helpers/saga-activities';
import { createSagaTestEnv } from '../helpers/saga-env';
import type { paymentSaga } from '../../workflows';

type SagaHandle = WorkflowHandle<typeof paymentSaga>;

/** temporal.api.enums.v1.EventType numbers of the events an approval may write. */
const EVENT_TYPE_NAMES: Record<number, string> = {
  1: 'WorkflowExecutionStarted',
  2: 'WorkflowExecutionCompleted',
  5: 'WorkflowTaskScheduled',
  6: 'WorkflowTaskStarted',
  7: 'WorkflowTaskCompleted',
  10: 'ActivityTaskScheduled',
  25: 'MarkerRecorded',
  40: 'UpsertWorkflowSearchAttributes',
};
type SagaOptions = FakeOptions & { world?: SagaWorld };

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createSagaTestEnv(), bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietBundlerLogger() })]);
});

afterAll(async () => {
  await env?.teardown();
});

function quietBundlerLogger() {
  const noop = () => undefined;
  return { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string, meta?: unknown) => console.error(m, meta), log: noop };
}

interface Run {
  world: SagaWorld;
  handle: SagaHandle;
  input: PaymentSagaInput;
}

/** A worker on its own task queue with in-memory activities; `body` drives the saga while the worker runs. */
async function withSaga<T>(input: PaymentSagaInput, options: SagaOptions, body: (run: Run) => Promise<T>): Promise<T> {
  const world = options.world ?? createSagaWorld();
  const taskQueue = `saga-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: fakeSagaActivities(world, options) });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof paymentSaga>('paymentSaga', { taskQueue, workflowId: `payment-${input.envelope.id}`, args: [input] });
    return body({ world, handle, input });
  });
}

async function waitForPhase(handle: WorkflowHandle, phase: SagaPhase): Promise<PaymentSagaStatus> {
  for (let i = 0; i < 400; i++) {
    const status = await handle.query(statusQuery);
    if (status.phase === phase) return status;
    if (status.phase === 'failed' || status.phase === 'compensated') throw new Error(`saga ended in ${status.phase}: ${JSON.stringify(status.failure)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`saga never reached ${phase}`);
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const FLAG_EFFECTS = ['holdPayment', 'publishFlagged', 'notifyFraudTeam', 'raiseRiskProfile'];

/** Activity types among `types`, in the order their completions appear in the workflow's history. */
async function completedActivities(handle: { fetchHistory(): Promise<temporal.api.history.v1.IHistory> }, types: string[]): Promise<string[]> {
  const typeBySchedule = new Map<string, string>();
  const completed: string[] = [];
  for (const e of (await handle.fetchHistory()).events ?? []) {
    if (!e) continue;
    if (e.activityTaskScheduledEventAttributes) typeBySchedule.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    if (e.activityTaskCompletedEventAttributes) completed.push(typeBySchedule.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) ?? '');
  }
  return completed.filter((t) => types.includes(t));
}
const UNDO_OF: Record<string, string> = {
  holdPayment: 'releaseHold',
  publishFlagged: 'retractFlag',
  notifyFraudTeam: 'withdrawFraudNotification',
  raiseRiskProfile: 'restoreRiskProfile',
};

const UNDO_STEP: Record<string, string> = {
  releaseHold: 'release-hold',
  retractFlag: 'retract-flag',
  withdrawFraudNotification: 'withdraw-fraud-notification',
  restoreRiskProfile: 'restore-risk-profile',
};

describe('paymentSaga (time-skipping)', () => {
  it('approves a low score: records the decision, publishes only payments.scored, no effects', async () => {
    const input = bridgedPayment({ amount: 12.5 }, { kafka: { topic: 'payments.initiated', partition: 2, offset: '1234' } });
    await withSaga(input, { score: 0.2 }, async ({ world, handle }) => {
      const result = await handle.result();
      expect(result).toMatchObject({ decision: 'APPROVE', outcome: 'approved', score: 0.2, threshold: 0.85, modelVersion: 'fraud-test-1', fallback: false, actions: [], compensations: [] });
      expect(succeeded(world)).toEqual(['enrichPayment', 'scorePayment', 'recordDecision']);
      expect(world.holds.size + world.notifications.size + world.adjustments.size).toBe(0);
      expect(world.published.map((p) => p.topic)).toEqual(['scored']);

      const record = world.decisions.get(input.envelope.data.paymentId)!;
      expect(record).toMatchObject({
        decision: 'APPROVE',
        status: 'approved',
        workflowId: handle.workflowId,
        correlationId: input.envelope.correlationid,
        eventId: input.envelope.id,
        kafka: { topic: 'payments.initiated', partition: 2, offset: '1234' },
        shadow: { modelVersion: 'fraud-test-2', probability: 0.5 },
        featureSpecVersion: 'pf-v1',
      });
      // The features recorded are the ones enrichment produced (and the scorer was given).
      expect(record.features).toEqual(world.featureLog.get(input.envelope.data.paymentId)!.features);
      expect((world.calls.find((c) => c.name === 'scorePayment')!.input as { vector: number[] }).vector).toEqual(world.featureLog.get(input.envelope.data.paymentId)!.vector);

      const status = await handle.query(statusQuery);
      expect(status).toMatchObject({ phase: 'completed', outcome: 'approved', decision: 'APPROVE' });
      // What the Temporal UI shows as the saga's current details.
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toContain(`**payment ${input.envelope.data.paymentId}** · 12.50 EUR · APPROVE 0.20`);
      expect(metadata.currentDetails).toContain('outcome approved');
      const sa = (await handle.describe()).typedSearchAttributes;
      expect(sa.get(SEARCH_ATTRIBUTES.Decision)).toBe('APPROVE');
      expect(sa.get(SEARCH_ATTRIBUTES.RiskScore)).toBe(0.2);
      expect(sa.get(SEARCH_ATTRIBUTES.ModelVersion)).toBe('fraud-test-1');
      expect(sa.get(SEARCH_ATTRIBUTES.PaymentId)).toBe(input.envelope.data.paymentId);
      expect(sa.get(SEARCH_ATTRIBUTES.UserId)).toBe(pseudonymize(input.envelope.data.userId, TEST_PII_KEY));
      expect(sa.get(SEARCH_ATTRIBUTES.UserId)).not.toContain(input.envelope.data.userId);

      // One workflow task, no server round trip for an activity: the whole approval is decided and recorded locally.
      const types = ((await handle.fetchHistory()).events ?? []).map((e) => EVENT_TYPE_NAMES[e.eventType ?? 0] ?? String(e.eventType));
      expect(types).toEqual([
        'WorkflowExecutionStarted',
        'WorkflowTaskScheduled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        // Version 2's patch (SAGA_PATCHES.oneTaskApproval): its marker and the SDK's TemporalChangeVersion attribute.
        // Both go when the patch is retired (workflows/payment-saga/patches.ts), leaving 8 events.
        'MarkerRecorded',
        'UpsertWorkflowSearchAttributes',
        'MarkerRecorded', // assessPayment
        'UpsertWorkflowSearchAttributes',
        'MarkerRecorded', // recordDecision
        'WorkflowExecutionCompleted',
      ]);
    });
  });

  it('flags a high score: holds, publishes, notifies and raises risk once each, records in-review, then waits', async () => {
    const input = bridgedPayment({ amount: 950 });
    await withSaga(input, { score: 0.93 }, async ({ world, handle }) => {
      const status = await waitForPhase(handle, 'in-review');
      expect(status).toMatchObject({ decision: 'FLAG', score: 0.93, threshold: 0.85 });
      expect(status.actions.map((a) => [a.step, a.status])).toEqual(
        expect.arrayContaining([
          ['hold-payment', 'done'],
          ['publish-flagged', 'done'],
          ['notify-fraud-team', 'done'],
          ['raise-risk-profile', 'done'],
        ]),
      );
      // Hold strictly first (payments.flagged promises a held payment), then the three others, then the record.
      const names = succeeded(world);
      expect(names[2]).toBe('holdPayment');
      expect(names.slice(3, 6).sort()).toEqual(['notifyFraudTeam', 'publishFlagged', 'raiseRiskProfile']);
      expect(names.slice(6)).toEqual(['recordDecision']);

      const wf = handle.workflowId;
      expect([...world.holds.entries()]).toEqual([[`${wf}:hold-payment`, { paymentId: input.envelope.data.paymentId, status: 'held' }]]);
      expect([...world.notifications.values()].map((n) => n.kind)).toEqual(['fraud-case']);
      expect(world.profiles.get(input.envelope.data.userId)!.riskScore).toBeCloseTo(0.3, 9);
      const flagged = world.published.filter((p) => p.topic === 'flagged');
      expect(flagged).toHaveLength(1);
      expect(flagged[0].data).toMatchObject({ paymentId: input.envelope.data.paymentId, userId: input.envelope.data.userId, score: 0.93, threshold: 0.85, fallback: false, workflowId: wf });
      expect(world.decisions.get(input.envelope.data.paymentId)).toMatchObject({ decision: 'FLAG', status: 'in-review', actions: expect.arrayContaining(['hold-payment', 'publish-flagged', 'notify-fraud-team', 'raise-risk-profile']) });
      expect(world.published.filter((p) => p.topic === 'scored')).toHaveLength(1);
      expect((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.Decision)).toBe('FLAG');
      await handle.terminate('test done');
    });
  });

  it('decides against the configured threshold (per model first, then saga-wide)', async () => {
    const approvedBySagaThreshold = bridgedPayment({}, { sagaOptions: { threshold: 0.95 } });
    await withSaga(approvedBySagaThreshold, { score: 0.93 }, async ({ handle }) => {
      expect(await handle.result()).toMatchObject({ decision: 'APPROVE', threshold: 0.95 });
    });
    const flaggedByModelThreshold = bridgedPayment({}, { sagaOptions: { threshold: 0.95, thresholdByModel: { fraud: 0.5 } } });
    await withSaga(flaggedByModelThreshold, { score: 0.6 }, async ({ handle }) => {
      expect(await waitForPhase(handle, 'in-review')).toMatchObject({ decision: 'FLAG', threshold: 0.5 });
      await handle.terminate('test done');
    });
    // A score equal to the threshold is not above it.
    await withSaga(bridgedPayment(), { score: 0.85 }, async ({ handle }) => {
      expect(await handle.result()).toMatchObject({ decision: 'APPROVE' });
    });
    const invalid = bridgedPayment({}, { sagaOptions: { threshold: 1.5 } });
    await withSaga(invalid, { score: 0.9 }, async ({ world, handle }) => {
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(PAYMENT_SAGA_FAILURES.inputInvalid);
      expect(world.calls).toEqual([]);
    });
  });

  it('fraud verdict: keeps the hold and the raised risk, labels fraud, records confirmed-fraud', async () => {
    const input = bridgedPayment();
    await withSaga(input, { score: 0.97 }, async ({ world, handle }) => {
      await waitForPhase(handle, 'in-review');
      const answer = await handle.executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'fraud', reviewer: 'ana@bank.test', note: 'card reported stolen' }] });
      expect(answer).toEqual({ outcome: 'confirmed-fraud', compensations: [] });
      const result = await handle.result();
      expect(result).toMatchObject({ outcome: 'confirmed-fraud', review: { verdict: 'fraud', reviewer: 'ana@bank.test', note: 'card reported stolen' }, compensations: [] });
      expect([...world.holds.values()].map((h) => h.status)).toEqual(['held']);
      expect(world.profiles.get(input.envelope.data.userId)!.riskScore).toBeCloseTo(0.3, 9);
      expect(world.ledger).toEqual([]);
      expect(world.published.filter((p) => p.topic === 'labeled').map((p) => p.data)).toEqual([
        { paymentId: input.envelope.data.paymentId, label: 'fraud', labeledAt: result.review!.at },
      ]);
      expect(world.decisions.get(input.envelope.data.paymentId)).toMatchObject({ status: 'confirmed-fraud', review: { verdict: 'fraud' } });
      expect(world.published.filter((p) => p.topic === 'flag-retracted')).toEqual([]);
    });
  });

  it('legit verdict: runs every compensation exactly once, in reverse, and restores the exact previous risk score', async () => {
    const input = bridgedPayment();
    const world = createSagaWorld();
    world.profiles.set(input.envelope.data.userId, { riskScore: 0.37, homeCountry: 'DE', knownDevices: ['dev-1'] });
    await withSaga(input, { world, score: 0.91 }, async ({ handle }) => {
      await waitForPhase(handle, 'in-review');
      const answer = await handle.executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'legit', reviewer: 'bo' }] });
      const result = await handle.result();

      const effects = await completedActivities(handle, FLAG_EFFECTS);
      const undos = succeeded(world).filter((n) => Object.values(UNDO_OF).includes(n));
      expect(effects).toHaveLength(4);
      // Reverse of the order in which the workflow saw the effects complete (its history), not of the worker's
      // wall clock: two parallel effects finishing in one workflow task are ordered by the history.
      expect(undos).toEqual([...effects].reverse().map((e) => UNDO_OF[e]));
      expect(answer.compensations).toEqual(result.compensations.map((c) => c.step));
      expect(result.compensations.every((c) => c.reason === 'review-legit' && c.attempts === 1)).toBe(true);
      expect(result).toMatchObject({ outcome: 'released', decision: 'FLAG' });

      expect([...world.holds.values()].map((h) => h.status)).toEqual(['released']);
      expect(world.profiles.get(input.envelope.data.userId)!.riskScore).toBe(0.37);
      expect([...world.notifications.values()].map((n) => n.kind).sort()).toEqual(['case-withdrawn', 'fraud-case']);
      const retracted = world.published.filter((p) => p.topic === 'flag-retracted');
      expect(retracted).toHaveLength(1);
      expect(retracted[0].data).toMatchObject({ reason: 'review-legit', flagEventId: world.published.find((p) => p.topic === 'flagged')!.id });
      expect(world.published.filter((p) => p.topic === 'labeled').map((p) => p.data.label)).toEqual(['legit']);
      // Ledger: one successful attempt per undo, nothing else.
      expect(world.ledger.map((l) => [l.step, l.attempt, l.outcome])).toEqual(result.compensations.map((c) => [c.step, 1, 'succeeded']));
      expect(world.decisions.get(input.envelope.data.paymentId)).toMatchObject({ status: 'released', compensations: result.compensations });
    });
  });

  it('escalates once when the review deadline passes, keeps the hold, and still accepts a late verdict', async () => {
    const input = bridgedPayment();
    await withSaga(input, { score: 0.99 }, async ({ world, handle }) => {
      await waitForPhase(handle, 'in-review');
      const started = (await handle.describe()).startTime.getTime();
      await env.sleep('71h');
      expect((await handle.query(statusQuery)).escalatedAt).toBeUndefined();
      await env.sleep('2h');
      let status = await handle.query(statusQuery);
      for (let i = 0; i < 200 && !world.calls.some((c) => c.name === 'escalateReview' && c.ok); i++) {
        await new Promise((r) => setTimeout(r, 25));
        status = await handle.query(statusQuery);
      }
      expect(status.phase).toBe('in-review');
      const escalatedAfterMs = Date.parse(status.escalatedAt!) - started;
      expect(escalatedAfterMs).toBeGreaterThanOrEqual(72 * 3_600_000);
      expect(escalatedAfterMs).toBeLessThan(73 * 3_600_000);
      expect([...world.notifications.values()].map((n) => n.kind).sort()).toEqual(['fraud-case', 'review-escalation']);
      expect([...world.holds.values()].map((h) => h.status)).toEqual(['held']);
      expect(world.decisions.get(input.envelope.data.paymentId)).toMatchObject({ status: 'escalated' });

      await env.sleep('100h'); // no second escalation
      expect(world.calls.filter((c) => c.name === 'escalateReview')).toHaveLength(1);
      await handle.executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'fraud', reviewer: 'night-shift' }] });
      const result = await handle.result();
      expect(result.outcome).toBe('confirmed-fraud');
      expect(world.decisions.get(input.envelope.data.paymentId)).toMatchObject({ status: 'confirmed-fraud', escalatedAt: status.escalatedAt });
    });
  });

  it('a failing effect: undoes what succeeded in reverse, retries a failing undo, ledgers every attempt, fails visibly', async () => {
    const input = bridgedPayment();
    const world = createSagaWorld();
    const options: SagaOptions = { world, score: 0.95, failures: { notifyFraudTeam: { times: 'always' }, releaseHold: { times: 2 } } };
    await withSaga(input, options, async ({ handle }) => {
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(PAYMENT_SAGA_FAILURES.compensated);
      const details = failure.details?.[0] as { code: string; step: string; compensations: Array<{ step: string; attempts: number }> };
      expect(details).toMatchObject({ code: 'SAGA_COMPENSATED', step: 'notify-fraud-team', paymentId: input.envelope.data.paymentId });
      expect(failure.message).toContain('notify-fraud-team failed after acting');
      expect(failure.message).toContain('injected failure of notifyFraudTeam');
      expect((failure.cause?.cause as Error).message).toContain('injected failure of notifyFraudTeam'); // ActivityFailure → ApplicationFailure

      // The notification was retried per the effect profile (6 attempts), then given up on.
      expect(world.calls.filter((c) => c.name === 'notifyFraudTeam')).toHaveLength(6);
      // In the order the workflow saw them complete (see the cancellation test).
      const effects = await completedActivities(handle, FLAG_EFFECTS);
      expect(effects).toEqual(expect.arrayContaining(['holdPayment', 'publishFlagged', 'raiseRiskProfile']));
      expect(effects).toHaveLength(3);
      const undos = succeeded(world).filter((n) => Object.values(UNDO_OF).includes(n));
      expect(undos).toEqual([...effects].reverse().map((e) => UNDO_OF[e]));
      expect(details.compensations.map((c) => c.step)).toEqual(undos.map((u) => UNDO_STEP[u]));

      // Ledger: every attempt, the two failed release attempts included, then its success.
      const ledger = world.ledger.map((l) => `${l.step}#${l.attempt}:${l.outcome}`);
      expect(ledger).toEqual([...undos.slice(0, 2).map((u) => `${UNDO_STEP[u]}#1:succeeded`), 'release-hold#1:failed', 'release-hold#2:failed', 'release-hold#3:succeeded']);
      expect(world.ledger.every((l) => l.reason === 'step-failed' && l.workflowId === handle.workflowId)).toBe(true);

      expect([...world.holds.values()].map((h) => h.status)).toEqual(['released']);
      expect(world.profiles.get(input.envelope.data.userId)!.riskScore).toBe(0.1);
      expect(world.published.filter((p) => p.topic === 'flag-retracted').map((p) => p.data.reason)).toEqual(['step-failed']);
      expect(world.decisions.get(input.envelope.data.paymentId)).toMatchObject({ status: 'compensated', compensations: details.compensations });
      expect(await handle.query(statusQuery)).toMatchObject({ phase: 'compensated', outcome: 'compensated', failure: { step: 'notify-fraud-team' } });
    });
  });

  it('a failing record step after acting undoes all four effects', async () => {
    const input = bridgedPayment();
    const world = createSagaWorld();
    await withSaga(input, { world, score: 0.95, failures: { recordDecision: { times: 1, nonRetryable: true } } }, async ({ handle }) => {
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(PAYMENT_SAGA_FAILURES.compensated);
      expect(failure.details?.[0]).toMatchObject({ step: 'record' });
      const effects = await completedActivities(handle, FLAG_EFFECTS);
      const undos = succeeded(world).filter((n) => Object.values(UNDO_OF).includes(n));
      expect(effects).toHaveLength(4);
      // Reverse of the order in which the workflow saw the effects complete (its history), not of the worker's
      // wall clock: two parallel effects finishing in one workflow task are ordered by the history.
      expect(undos).toEqual([...effects].reverse().map((e) => UNDO_OF[e]));
      // The second record (status compensated) went through.
      expect(world.decisions.get(input.envelope.data.paymentId)).toMatchObject({ status: 'compensated', publishScored: false });
      expect(world.published.filter((p) => p.topic === 'scored')).toEqual([]);
    });
  });

  it('an APPROVE whose record fails for good ends failed, with nothing to undo', async () => {
    await withSaga(bridgedPayment(), { score: 0.1, failures: { recordDecision: { times: 'always', nonRetryable: true } } }, async ({ world, handle }) => {
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(PAYMENT_SAGA_FAILURES.failed);
      expect(failure.details?.[0]).toMatchObject({ code: 'SAGA_FAILED', step: 'record' });
      expect(world.calls.map((c) => c.name)).toEqual(['enrichPayment', 'scorePayment', 'recordDecision']);
      expect(await handle.query(statusQuery)).toMatchObject({ phase: 'failed', failure: { step: 'record' } });
    });
  });

  it('cancelling a saga in review undoes its effects in reverse and ends cancelled', async () => {
    const input = bridgedPayment();
    await withSaga(input, { score: 0.92 }, async ({ world, handle }) => {
      await waitForPhase(handle, 'in-review');
      await handle.cancel();
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      // The order the workflow saw the parallel effects complete (its history), not the order they returned on the
      // worker: two completions can reach the server the other way round, and the undos follow the history.
      const effects = await completedActivities(handle, FLAG_EFFECTS);
      const undos = succeeded(world).filter((n) => Object.values(UNDO_OF).includes(n));
      expect(undos).toEqual([...effects].reverse().map((e) => UNDO_OF[e]));
      expect(world.ledger.every((l) => l.reason === 'saga-cancelled')).toBe(true);
      expect([...world.holds.values()].map((h) => h.status)).toEqual(['released']);
      expect(world.decisions.get(input.envelope.data.paymentId)).toMatchObject({ status: 'compensated' });
    });
  });

  it('fails visibly without effects when enrichment fails for good', async () => {
    const input = bridgedPayment();
    await withSaga(input, { failures: { enrichPayment: { times: 'always', nonRetryable: true } } }, async ({ world, handle }) => {
      const failure = await failureOf(handle.result());
      expect(failure.type).toBe(PAYMENT_SAGA_FAILURES.failed);
      expect(failure.details?.[0]).toMatchObject({ code: 'SAGA_FAILED', step: 'enrich' });
      expect(world.calls.map((c) => c.name)).toEqual(['enrichPayment']);
    });
  });

  it('scores with the rule fallback when no model is loaded, records it, and acts on it', async () => {
    const models = new ModelRuntime({ modelName: 'fraud' });
    const { scorePayment } = createScoringActivities({ models, modelName: 'fraud' });
    try {
      // Five earlier payments of the user within 60 s, a new device abroad, a large amount at a risky merchant: rules flag.
      const world = createSagaWorld();
      const userId = `user-${randomUUID().slice(0, 8)}`;
      world.profiles.set(userId, { riskScore: 0.2, homeCountry: 'DE', knownDevices: ['dev-home'], accountAgeDays: 400 });
      const t = Date.parse('2025-03-01T12:00:00Z');
      for (let i = 1; i <= 5; i++) world.paymentEvents.set(`earlier-${i}`, { userId, eventMs: t - i * 5_000 });
      const risky = bridgedPayment({ userId, amount: 4000, country: 'NG', merchantCategory: 'crypto', deviceId: 'dev-new', eventTime: '2025-03-01T12:00:00Z' });
      await withSaga(risky, { world, real: { scorePayment } }, async ({ handle }) => {
        const status = await waitForPhase(handle, 'in-review');
        expect(status).toMatchObject({ decision: 'FLAG', fallback: true, fallbackReason: 'no-model', modelVersion: RULES_VERSION });
        expect(status.score).toBeGreaterThan(0.85);
        const record = world.decisions.get(risky.envelope.data.paymentId)!;
        expect(record).toMatchObject({ fallback: true, fallbackReason: 'no-model', modelVersion: RULES_VERSION });
        expect(record.reasons.map((r) => r.feature)).toEqual(expect.arrayContaining(['velocity_60s', 'new_device']));
        expect(record.features.velocity_60s).toBe(5);
        expect(world.published.find((p) => p.topic === 'flagged')!.data).toMatchObject({ fallback: true, modelVersion: RULES_VERSION });
        await handle.terminate('test done');
      });

      const benign = bridgedPayment({ amount: 20, merchantCategory: 'grocery' });
      await withSaga(benign, { real: { scorePayment } }, async ({ handle }) => {
        expect(await handle.result()).toMatchObject({ decision: 'APPROVE', fallback: true, modelVersion: RULES_VERSION });
      });
    } finally {
      await models.close();
    }
  });

  it('rejects bad resolveReview requests in the validator: nothing reaches history', async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    await withSaga(bridgedPayment(), { score: 0.9, gates: { holdPayment: gate } }, async ({ world, handle }) => {
      await waitForPhase(handle, 'acting');
      await expectRejected(handle, { verdict: 'legit', reviewer: 'early-bird' }, 'NOT_IN_REVIEW');
      openGate();
      await waitForPhase(handle, 'in-review');
      const before = await historyEvents(handle);
      await expectRejected(handle, { verdict: 'maybe', reviewer: 'ana' }, 'UNKNOWN_VERDICT');
      await expectRejected(handle, { verdict: 'fraud', reviewer: '  ' }, 'REVIEWER_MISSING');
      await expectRejected(handle, { verdict: 'fraud' }, 'REVIEWER_MISSING');
      await expectRejected(handle, { verdict: 'fraud', reviewer: 'ana', note: 'x'.repeat(501) }, 'NOTE_INVALID');
      // A real server runs validators in speculative workflow tasks and leaves no trace; the test server records plain
      // workflow-task events for them. Either way: no update, command or state change reached history.
      const added = (await historyEvents(handle)).slice(before.length);
      expect(added.filter((e) => !e.startsWith('workflowTask'))).toEqual([]);
      expect(world.calls.some((c) => c.name === 'publishLabel')).toBe(false);
      expect((await handle.query(statusQuery)).phase).toBe('in-review');

      // A valid one still goes through; the finished saga takes no second verdict.
      await handle.executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'fraud', reviewer: 'ana' }] });
      expect((await handle.result()).outcome).toBe('confirmed-fraud');
      await expect(handle.executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'legit', reviewer: 'ana' }] })).rejects.toBeInstanceOf(WorkflowNotFoundError);
      expect(world.calls.filter((c) => c.name === 'publishLabel')).toHaveLength(1);
    });
  });
});

/** One name per history event: the attributes field it carries, e.g. workflowTaskCompleted. */
async function historyEvents(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k] != null)?.replace(/EventAttributes$/, '') ?? 'unknown');
}

async function expectRejected(handle: WorkflowHandle, request: unknown, code: string): Promise<void> {
  const err = await handle.executeUpdate(resolveReviewUpdate, { args: [request as never] }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause.type).toBe('ReviewRejected');
  expect(cause.details?.[0]).toEqual({ code });
}
