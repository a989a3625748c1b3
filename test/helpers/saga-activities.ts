// In-memory stand-ins for the payment saga's activities, for the time-skipping workflow tests: the workflow's logic
// (decide, act, compensate, review) is under test, so effects land in a small in-memory world the tests assert on.
// Same keys and idempotency rules as the real activities (activities/*.ts); features go through the real feature spec.
import { ApplicationFailure } from '@temporalio/common';
import { assessPayment } from '../../activities/assessment.activities';
import { paymentFlaggedEvent } from '../../activities/actions.activities';
import type { EnrichmentResult, PaymentSagaActivities, RecordDecisionInput, ScoringResult } from '../../activities';
import { buildFeatureVector, isLateEvent, VELOCITY_WINDOW_MS } from '../../src/features/payment-features';
import { pseudonymize } from '../../src/security/pseudonymize';

export const TEST_PII_KEY = 'test-pii-hash-key-0123456789';

type Name = keyof PaymentSagaActivities;

export interface FailurePlan {
  /** How many attempts fail before one succeeds; 'always' never succeeds. */
  times: number | 'always';
  nonRetryable?: boolean;
}

export interface SagaWorld {
  /** Every attempt of every activity, in the order they started. */
  calls: Array<{ name: Name; input: unknown; ok?: boolean }>;
  profiles: Map<string, { riskScore: number; homeCountry?: string; knownDevices?: string[]; accountAgeDays?: number }>;
  paymentEvents: Map<string, { userId: string; eventMs: number }>;
  featureLog: Map<string, EnrichmentResult>;
  holds: Map<string, { paymentId: string; status: 'held' | 'released' }>;
  notifications: Map<string, { paymentId: string; kind: string; body: string }>;
  adjustments: Map<string, { userId: string; previousScore: number; newScore: number; reverted: boolean }>;
  published: Array<{ topic: 'scored' | 'flagged' | 'flag-retracted' | 'labeled'; id: string; data: Record<string, unknown> }>;
  decisions: Map<string, RecordDecisionInput>;
  ledger: Array<{ workflowId: string; step: string; reason: string; attempt: number; outcome: 'succeeded' | 'failed' }>;
}

export interface FakeOptions {
  /** Champion probability, or a full scoring result per vector. */
  score?: number | ((input: { vector: number[] }) => ScoringResult);
  failures?: Partial<Record<Name, FailurePlan>>;
  /** Activities that wait for the promise before doing anything (to hold a saga in a phase). */
  gates?: Partial<Record<Name, Promise<void>>>;
  /** Replace one activity by the real one (e.g. scorePayment with a real ModelRuntime). */
  real?: Partial<PaymentSagaActivities>;
}

export function createSagaWorld(): SagaWorld {
  return {
    calls: [],
    profiles: new Map(),
    paymentEvents: new Map(),
    featureLog: new Map(),
    holds: new Map(),
    notifications: new Map(),
    adjustments: new Map(),
    published: [],
    decisions: new Map(),
    ledger: [],
  };
}

export function fakeSagaActivities(world: SagaWorld, options: FakeOptions = {}): PaymentSagaActivities {
  const attempts = new Map<Name, number>();

  /** Records the call, waits for a gate, applies the failure plan, then runs the effect. */
  const wrap =
    <N extends Name>(name: N, impl: PaymentSagaActivities[N]): PaymentSagaActivities[N] =>
    (async (input: never) => {
      const call: SagaWorld['calls'][number] = { name, input };
      world.calls.push(call);
      await options.gates?.[name];
      const n = (attempts.get(name) ?? 0) + 1;
      attempts.set(name, n);
      const plan = options.failures?.[name];
      if (plan && (plan.times === 'always' || n <= plan.times)) {
        call.ok = false;
        throw ApplicationFailure.create({ message: `injected failure of ${name} (attempt ${n})`, type: 'InjectedFailure', nonRetryable: plan.nonRetryable ?? false });
      }
      const result = await (impl as (i: never) => Promise<unknown>)(input);
      call.ok = true;
      return result;
    }) as PaymentSagaActivities[N];

  /** Undo with a ledger row per attempt, like the real compensation wrapper. */
  const compensation =
    <N extends Name>(name: N, step: string, impl: PaymentSagaActivities[N]): PaymentSagaActivities[N] =>
    (async (input: { workflowId: string; reason: string }) => {
      const attempt = world.ledger.filter((l) => l.workflowId === input.workflowId && l.step === step).length + 1;
      try {
        const result = await (wrap(name, impl) as (i: unknown) => Promise<unknown>)(input);
        world.ledger.push({ workflowId: input.workflowId, step, reason: input.reason, attempt, outcome: 'succeeded' });
        return result;
      } catch (err) {
        world.ledger.push({ workflowId: input.workflowId, step, reason: input.reason, attempt, outcome: 'failed' });
        throw err;
      }
    }) as unknown as PaymentSagaActivities[N];

  const scoreOf = (vector: number[]): ScoringResult => {
    if (typeof options.score === 'function') return options.score({ vector });
    return {
      probability: options.score ?? 0.2,
      modelName: 'fraud',
      modelVersion: 'fraud-test-1',
      reasons: [
        { feature: 'velocity_60s', contribution: 1.2, value: vector[2] },
        { feature: 'amount', contribution: 0.4, value: vector[0] },
      ],
      fallback: false,
      breakerState: 'closed',
      latencyMicros: 120,
      shadow: { modelVersion: 'fraud-test-2', probability: 0.5 },
    };
  };

  const fakes: PaymentSagaActivities = {
    enrichPayment: wrap('enrichPayment', async (input) => {
      const logged = world.featureLog.get(input.paymentId);
      if (logged) return { ...logged, source: 'feature-log' };
      const eventMs = Date.parse(input.eventTime);
      world.paymentEvents.set(input.paymentId, { userId: input.userId, eventMs });
      let velocity60s = 0;
      for (const [id, e] of world.paymentEvents) {
        if (id !== input.paymentId && e.userId === input.userId && e.eventMs >= eventMs - VELOCITY_WINDOW_MS && e.eventMs < eventMs) velocity60s++;
      }
      const profile = world.profiles.get(input.userId);
      const lateEvent = isLateEvent(eventMs, Date.parse(input.processedAt));
      const v = buildFeatureVector({
        amount: input.amount,
        currency: input.currency,
        eventTime: input.eventTime,
        userRiskScore: profile?.riskScore,
        accountAgeDays: profile?.accountAgeDays,
        userHomeCountry: profile?.homeCountry,
        paymentCountry: input.country,
        merchantCategory: input.merchantCategory,
        newDevice: input.newDevice ?? (profile?.knownDevices ? !profile.knownDevices.includes(input.deviceId) : undefined),
        velocity60s,
        lateEvent,
      });
      const result: EnrichmentResult = {
        featureSpecVersion: v.specVersion,
        features: { ...v.named },
        vector: Array.from(v.values),
        defaulted: [...v.defaulted],
        velocity60s,
        lateEvent,
        userIdHash: pseudonymize(input.userId, TEST_PII_KEY),
        source: 'computed',
      };
      world.featureLog.set(input.paymentId, result);
      return result;
    }),
    scorePayment: options.real?.scorePayment ? wrap('scorePayment', options.real.scorePayment) : wrap('scorePayment', async (input) => scoreOf(input.vector)),
    holdPayment: wrap('holdPayment', async (input) => {
      if (!world.holds.has(input.idempotencyKey)) world.holds.set(input.idempotencyKey, { paymentId: input.paymentId, status: 'held' });
      return { holdKey: input.idempotencyKey };
    }),
    releaseHold: compensation('releaseHold', 'release-hold', async (input) => {
      const hold = world.holds.get(input.holdKey);
      if (hold) hold.status = 'released';
    }),
    notifyFraudTeam: wrap('notifyFraudTeam', async (input) => {
      if (!world.notifications.has(input.idempotencyKey)) world.notifications.set(input.idempotencyKey, { paymentId: input.paymentId, kind: 'fraud-case', body: input.summary });
    }),
    withdrawFraudNotification: compensation('withdrawFraudNotification', 'withdraw-fraud-notification', async (input) => {
      if (!world.notifications.has(input.idempotencyKey)) world.notifications.set(input.idempotencyKey, { paymentId: input.paymentId, kind: 'case-withdrawn', body: input.reason });
    }),
    raiseRiskProfile: wrap('raiseRiskProfile', async (input) => {
      const existing = world.adjustments.get(input.idempotencyKey);
      if (existing) return { previousScore: existing.previousScore, newScore: existing.newScore };
      const profile = world.profiles.get(input.userId) ?? { riskScore: 0.1 };
      world.profiles.set(input.userId, profile);
      const previousScore = profile.riskScore;
      const newScore = Math.min(1, Math.round((previousScore + 0.2) * 1e6) / 1e6);
      profile.riskScore = newScore;
      world.adjustments.set(input.idempotencyKey, { userId: input.userId, previousScore, newScore, reverted: false });
      return { previousScore, newScore };
    }),
    restoreRiskProfile: compensation('restoreRiskProfile', 'restore-risk-profile', async (input) => {
      const adj = world.adjustments.get(input.adjustmentKey);
      if (!adj) throw new Error(`no adjustment ${input.adjustmentKey}`);
      if (adj.reverted) return { restoredTo: null };
      const profile = world.profiles.get(adj.userId)!;
      profile.riskScore = profile.riskScore === adj.newScore ? adj.previousScore : Math.max(0, profile.riskScore - (adj.newScore - adj.previousScore));
      adj.reverted = true;
      return { restoredTo: profile.riskScore };
    }),
    publishFlagged: wrap('publishFlagged', async (input) => {
      const id = `${input.idempotencyKey}#event`;
      world.published.push({ topic: 'flagged', id, data: { ...paymentFlaggedEvent(input, 'test/saga-activities').data } });
      return { flagEventId: id };
    }),
    retractFlag: compensation('retractFlag', 'retract-flag', async (input) => {
      world.published.push({ topic: 'flag-retracted', id: `${input.idempotencyKey}#event`, data: { paymentId: input.paymentId, flagEventId: input.flagEventId, reason: input.reason } });
    }),
    escalateReview: wrap('escalateReview', async (input) => {
      if (!world.notifications.has(input.idempotencyKey)) world.notifications.set(input.idempotencyKey, { paymentId: input.paymentId, kind: 'review-escalation', body: input.summary });
      const d = world.decisions.get(input.paymentId);
      if (d) world.decisions.set(input.paymentId, { ...d, status: 'escalated', escalatedAt: input.escalatedAt });
    }),
    publishLabel: wrap('publishLabel', async (input) => {
      const id = `${input.idempotencyKey}#event`;
      world.published.push({ topic: 'labeled', id, data: { paymentId: input.paymentId, label: input.label, labeledAt: input.labeledAt } });
      return { labelEventId: id };
    }),
    recordDecision: wrap('recordDecision', async (input) => {
      world.decisions.set(input.paymentId, input);
      if (!input.publishScored) return {};
      const id = `${input.workflowId}:scored#event`;
      world.published.push({ topic: 'scored', id, data: { paymentId: input.paymentId, decision: input.decision, score: input.score } });
      return { scoredEventId: id };
    }),
    // The real composition over the fakes: calls show as enrichPayment + scorePayment, their failure plans apply.
    assessPayment: (input) => assessPayment(fakes, input),
  };
  return fakes;
}

/** Names of the successful calls, in order. */
export function succeeded(world: SagaWorld): Name[] {
  return world.calls.filter((c) => c.ok).map((c) => c.name);
}
