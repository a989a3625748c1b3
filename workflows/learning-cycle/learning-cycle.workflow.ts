// learningCycle: one cycle of a model's learning loop as a child workflow (id `<loop id>-cycle-<n>`, e.g.
// `learning-fraud-cycle-4`), started by learningLoop one at a time.
//
//   retrain → gate → backfill gate → shadow → approval → promote → watch → rollback   (steps.ts)
//
// Its own history (a cycle's shadow and watch polls no longer grow the loop's), its own LearningPhase search
// attribute and Temporal UI page. It persists its cycle and approval records itself and reports a snapshot to the
// loop after each change (`cycleProgress`), so the loop's status query keeps showing the running cycle and can answer
// the decision updates it forwarded. Decisions reach it forwarded by the loop (CLI updates and UI signals sent to
// `learning-<model>`) or directly (approvePromotion / rejectPromotion signals and updates on this workflow).
//
// Parent close policy REQUEST_CANCEL (set by the loop): the loop closes only between cycles (continue-as-new) or when
// an operator ends it; a cycle left running would promote without a loop, and the next loop would start a second
// cycle next to it. Cancelled, the cycle clears a shadow it set (non-cancellable) and ends `failed`.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LearningActivities } from '../../activities/learning.activities';
import { LEARNING_FAILURES, LEARNING_PHASE_SEARCH_ATTRIBUTE, PROMOTION_DECISIONS, type PromotionDecisionResult } from '../learning-loop/learning-loop.messages';
import { STORE } from '../learning/activity-profiles';
import { prependBounded } from '../learning/bounded';
import { enqueueRecord } from '../learning/outbox';
import { checkPromotionDecision, type PromotionDecisionRequest, type RequestRejection } from '../learning/requests';
import { MAX_REFUSED_KEPT } from '../learning/state';
import type { ChampionInfo, DriftFinding, LearningPhase, LearningRecord, RefusedRequest } from '../learning/types';
import {
  cycleConfigSignal,
  cycleDriftSignal,
  cycleProgressSignal,
  cycleStatusQuery,
  forwardedDecisionSignal,
  type CycleProgress,
  type LearningCycleInput,
  type LearningCycleResult,
} from './learning-cycle.messages';
import { errorText, iso, now, runCycleSteps, type ApprovalState, type CycleHost } from './steps';

const store = proxyActivities<LearningActivities>(STORE);

const OUTBOX_BATCH = 50;
const PUMP_RETRY_MS = 30_000;

function refuse(rejection: RequestRejection | null): void {
  if (rejection) {
    throw ApplicationFailure.create({ type: LEARNING_FAILURES.requestRejected, message: rejection.message, details: [{ code: rejection.code }], nonRetryable: true });
  }
}

export async function learningCycle(input: LearningCycleInput): Promise<LearningCycleResult> {
  const c = input.cycle;
  const modelName = c.modelName;
  const loopWorkflowId = input.loopWorkflowId;
  let config = input.config;
  let champion: ChampionInfo | null = input.champion;
  let phase: LearningPhase = c.phase;
  let pendingDrift: DriftFinding | null = null;
  let refused: RefusedRequest[] = [];
  let done = false;
  let progressDirty = true;
  const outbox: LearningRecord[] = [];
  const approval: ApprovalState = { awaiting: null, decision: null, expiredBy: null };
  const decisionResults = new Map<string, PromotionDecisionResult>();

  const awaitingVersion = (): string | null => (approval.awaiting && !approval.decision && !approval.expiredBy ? approval.awaiting.version : null);

  function enqueue(record: LearningRecord): void {
    enqueueRecord(outbox, record);
    progressDirty = true;
  }

  const host: CycleHost = {
    modelName,
    config: () => config,
    champion: () => champion,
    refreshChampion: async () => {
      champion = await store.getChampion({ modelName });
      progressDirty = true;
    },
    setPhase: (next) => {
      c.phase = next;
      progressDirty = true;
      if (next === phase) return;
      phase = next;
      upsertSearchAttributes([{ key: LEARNING_PHASE_SEARCH_ATTRIBUTE, value: next }]);
    },
    saveCycle: () => enqueue({ type: 'cycle', cycle: c }),
    enqueue,
    setPendingDrift: (finding) => {
      pendingDrift = finding;
    },
    approval,
    decisionResults,
    phase: () => phase,
  };

  // ---- decisions, drift, configuration, status ------------------------------------------------------------------
  function acceptDecision(kind: 'approve' | 'reject', request: PromotionDecisionRequest, via: 'update' | 'signal'): string {
    const { awaiting } = approval;
    if (!awaiting) throw ApplicationFailure.create({ type: LEARNING_FAILURES.requestRejected, message: 'no promotion is awaiting approval', nonRetryable: true });
    approval.decision = { kind, request: { ...request, approver: request.approver.trim(), version: request.version.trim() }, via, at: iso(now()) };
    progressDirty = true;
    return awaiting.requestId;
  }

  function decideBySignal(kind: 'approve' | 'reject', request: PromotionDecisionRequest, via: 'update' | 'signal'): void {
    const rejection = checkPromotionDecision(request, awaitingVersion(), config.approval.approvers);
    if (rejection) {
      refused = prependBounded(refused, { kind: kind === 'approve' ? 'approvePromotion' : 'rejectPromotion', ...rejection, from: (request as { approver?: string })?.approver, at: iso(now()) }, MAX_REFUSED_KEPT);
      log.warn('learning cycle decision refused', { modelName, cycle: c.number, code: rejection.code, message: rejection.message });
      return;
    }
    acceptDecision(kind, request, via);
  }

  for (const [kind, update, signal] of PROMOTION_DECISIONS) {
    setHandler(
      update,
      async (request) => {
        const requestId = acceptDecision(kind, request, 'update');
        await condition(() => decisionResults.has(requestId));
        return decisionResults.get(requestId) as PromotionDecisionResult;
      },
      { validator: (request) => refuse(checkPromotionDecision(request, awaitingVersion(), config.approval.approvers)) },
    );
    setHandler(signal, (request) => decideBySignal(kind, request, 'signal'));
  }

  setHandler(forwardedDecisionSignal, (d) => decideBySignal(d.kind, d.request, d.via));

  setHandler(cycleDriftSignal, (finding) => {
    c.drift.push(finding);
    host.saveCycle();
    if (awaitingVersion()) approval.expiredBy = finding;
  });

  setHandler(cycleConfigSignal, (next) => {
    config = next;
  });

  setHandler(cycleStatusQuery, () => ({
    modelName,
    loopWorkflowId,
    phase,
    cycle: c,
    awaitingApproval: approval.awaiting && awaitingVersion() ? { requestId: approval.awaiting.requestId, version: approval.awaiting.version, deadline: approval.awaiting.deadline, approvers: config.approval.approvers } : null,
    refused,
  }));

  // ---- coroutines: records, progress to the loop ----------------------------------------------------------------
  async function outboxPump(): Promise<void> {
    for (;;) {
      await condition(() => outbox.length > 0 || done);
      if (outbox.length === 0) return;
      const records = outbox.splice(0, OUTBOX_BATCH);
      try {
        await store.persistRecords({ modelName, workflowId: loopWorkflowId, records });
      } catch (err) {
        outbox.unshift(...records);
        if (isCancellation(err)) return; // written after the steps, outside the cancellation
        log.error('persisting learning records failed; retrying', { modelName, error: errorText(err) });
        await sleep(PUMP_RETRY_MS);
      }
    }
  }

  const loop = getExternalWorkflowHandle(loopWorkflowId);
  const progress = (): CycleProgress => ({ cycle: c, phase, awaiting: awaitingVersion() ? approval.awaiting : null, decisions: [...decisionResults.values()], champion });
  async function progressPump(): Promise<void> {
    for (;;) {
      await condition(() => progressDirty || done);
      if (!progressDirty) return;
      progressDirty = false;
      try {
        await loop.signal(cycleProgressSignal, progress());
      } catch (err) {
        if (isCancellation(err)) return;
        log.warn('reporting progress to the loop failed', { modelName, loopWorkflowId, error: errorText(err) });
        return;
      }
    }
  }

  // ---- the cycle ------------------------------------------------------------------------------------------------
  upsertSearchAttributes([{ key: LEARNING_PHASE_SEARCH_ATTRIBUTE, value: phase }]);
  host.saveCycle();
  // A cancellation ends the pumps where they wait; what they leave is written below, outside the cancellation.
  const stopped = (err: unknown) => {
    if (!isCancellation(err)) log.error('learning cycle pump failed', { modelName, error: errorText(err) });
  };
  const pumps = [outboxPump().catch(stopped), progressPump().catch(stopped)];
  log.info('learning cycle started', { modelName, cycle: c.number, trigger: c.trigger.kind, workflowId: workflowInfo().workflowId });

  // A cancellation (the loop was ended mid-cycle) fails the steps like any error: the ending is `failed`, a shadow the
  // cycle set is cleared outside the cancellation.
  await runCycleSteps(host, c, (cleanup) => CancellationScope.nonCancellable(cleanup));
  host.saveCycle();
  done = true;
  await CancellationScope.nonCancellable(async () => {
    await Promise.all(pumps);
    // What the pumps left (a cancellation stopped them): written and reported outside the cancellation.
    while (outbox.length > 0) await store.persistRecords({ modelName, workflowId: loopWorkflowId, records: outbox.splice(0, OUTBOX_BATCH) });
    if (progressDirty) await loop.signal(cycleProgressSignal, progress()).catch(() => undefined);
  });
  log.info('learning cycle ended', { modelName, cycle: c.number, outcome: c.outcome, reason: c.outcomeReason });
  return { cycle: c, pendingDrift };
}
