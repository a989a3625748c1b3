// learningLoop: one long-running workflow per model (id `learning-<model>`, task queue `learning`).
//
//   inputs    labels (bridge, batched) · drift events · retrain requests · its own timers (drift check, schedule)
//   triggers  volume ≥ N new labels · drift (periodic check or event) · schedule (model older than max age) · manual
//             cooldown after each cycle, one cycle at a time, every trigger recorded with its reason
//   cycle     retrain → gate (challenger vs champion, same holdout) → shadow (alias "shadow", paired comparison on
//             live traffic) → approval (update/signal, allow-list, deadline → auto-reject, drift → expire and
//             re-evaluate) → promote (atomic alias flip + history with approver) → watch (previous champion shadows
//             the new one; regression → automatic rollback)
//   continue-as-new after K cycles or a history bound, only between cycles, carrying the state
//
// Three small coroutines run beside the main loop: the label pump (stores queued labels, counts new ones), the drift
// ticker (periodic drift check) and the outbox (persists trigger / cycle / approval records in order).
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { LearningActivities } from '../activities/learning.activities';
import { errorText, iso, now, runCycleSteps, type ApprovalState, type CycleHost } from './learning-cycle/steps';
import {
  approvePromotionSignal,
  approvePromotionUpdate,
  driftDetectedSignal,
  LEARNING_FAILURES,
  LEARNING_PHASE_SEARCH_ATTRIBUTE,
  labelsSignal,
  rejectPromotionSignal,
  rejectPromotionUpdate,
  requestRetrainUpdate,
  retrainRequestedSignal,
  retrainSignal,
  statusQuery,
  updateConfigUpdate,
  type LearningLoopInput,
  type PromotionDecisionResult,
  type RetrainRequestResult,
} from './learning-loop.messages';
import { MEASURE, STORE } from './learning/activity-profiles';
import { prependBounded } from './learning/bounded';
import { resolveLearningConfig } from './learning/config';
import { checkConfigChange, checkPromotionDecision, checkRetrainRequest, type RequestRejection, type RetrainRequest } from './learning/requests';
import {
  acceptLabelEvents,
  freshEventIds,
  initialState,
  labelsSinceTraining,
  MAX_CYCLES_KEPT,
  MAX_REFUSED_KEPT,
  MAX_TRIGGERS_KEPT,
  mergeDrift,
  mergeManual,
} from './learning/state';
import { evaluateTriggers, scheduleDueAtMs, type DueTrigger, type TriggerEvaluation } from './learning/triggers';
import type {
  ChampionInfo,
  CycleRecord,
  DriftFinding,
  LearningLoopState,
  LearningLoopStatus,
  LearningPhase,
  LearningRecord,
  ManualRequest,
  PromotionDecisionRequest,
  RefusedRequest,
  TriggerOutcome,
  TriggerRecord,
} from './learning-loop.messages';

const store = proxyActivities<LearningActivities>(STORE);
const measure = proxyActivities<LearningActivities>(MEASURE);
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const LABEL_BATCH = 1000;
const OUTBOX_BATCH = 50;
const PUMP_RETRY_MS = 30_000;

const toMs = (t: string | null | undefined): number | null => (t ? Date.parse(t) : null);

function refuse(rejection: RequestRejection | null): void {
  if (rejection) {
    throw ApplicationFailure.create({ type: LEARNING_FAILURES.requestRejected, message: rejection.message, details: [{ code: rejection.code }], nonRetryable: true });
  }
}

export async function learningLoop(input: LearningLoopInput): Promise<never> {
  if (!input || typeof input.modelName !== 'string' || !MODEL_NAME.test(input.modelName)) {
    throw ApplicationFailure.create({
      type: LEARNING_FAILURES.configInvalid,
      message: `modelName must be 1-63 chars of a-z 0-9 . _ - (got ${JSON.stringify(input?.modelName)})`,
      nonRetryable: true,
    });
  }
  let s: LearningLoopState;
  if (input.state) {
    s = input.state;
    s.runs += 1;
  } else {
    const { config, problems } = resolveLearningConfig(input.config);
    if (problems.length > 0) {
      throw ApplicationFailure.create({ type: LEARNING_FAILURES.configInvalid, message: problems.join('; '), nonRetryable: true });
    }
    s = initialState(input.modelName, config, iso(now()));
  }
  const modelName = s.modelName;
  const { workflowId } = workflowInfo();

  // ---- run-local state (never carried: a run only continues as new between cycles, with all of this idle) --------
  let phase: LearningPhase = 'idle';
  let current: CycleRecord | null = null;
  let cyclesThisRun = 0;
  let wake = 0;
  let configVersion = 0;
  let stopping = false;
  const outbox: LearningRecord[] = [];
  const approval: ApprovalState = { awaiting: null, decision: null, expiredBy: null };
  const decisionResults = new Map<string, PromotionDecisionResult>();

  // ---- recording ------------------------------------------------------------------------------------------------
  function enqueue(record: LearningRecord): void {
    // Records are full snapshots: an unsent snapshot of the same cycle / approval already carries the latest state.
    const same = outbox.some(
      (r) =>
        (r.type === 'cycle' && record.type === 'cycle' && r.cycle.id === record.cycle.id) ||
        (r.type === 'approval' && record.type === 'approval' && r.approval.requestId === record.approval.requestId),
    );
    if (!same) outbox.push(record);
  }

  function saveCycle(): void {
    if (current) enqueue({ type: 'cycle', cycle: current });
  }

  function recordTrigger(t: Pick<TriggerRecord, 'kind' | 'reason' | 'detail'>, outcome: TriggerOutcome, cycleId?: string): TriggerRecord {
    const record: TriggerRecord = { id: uuid4(), kind: t.kind, reason: t.reason, at: iso(now()), outcome, ...(cycleId ? { cycleId } : {}), ...(t.detail ? { detail: t.detail } : {}) };
    s.triggers = prependBounded(s.triggers, record, MAX_TRIGGERS_KEPT);
    enqueue({ type: 'trigger', trigger: record });
    log.info('learning trigger', { modelName, kind: record.kind, outcome, reason: record.reason });
    return record;
  }

  function recordRefused(r: Omit<RefusedRequest, 'at'>): void {
    s.refused = prependBounded(s.refused, { ...r, at: iso(now()) }, MAX_REFUSED_KEPT);
    log.warn('learning request refused', { modelName, kind: r.kind, code: r.code, message: r.message });
  }

  function setPhase(next: LearningPhase): void {
    if (current) current.phase = next;
    if (next === phase) return;
    phase = next;
    upsertSearchAttributes([{ key: LEARNING_PHASE_SEARCH_ATTRIBUTE, value: next }]);
  }

  // ---- triggers -------------------------------------------------------------------------------------------------
  function evaluate(): TriggerEvaluation {
    return evaluateTriggers({
      nowMs: now(),
      config: s.config,
      labelsSinceTraining: labelsSinceTraining(s),
      pendingManual: s.pendingManual,
      pendingDrift: s.pendingDrift,
      championTrainedAtMs: toMs(s.champion?.trainedAt),
      lastTrainingAtMs: toMs(s.lastTrainingAt),
      loopStartedAtMs: Date.parse(s.startedAt),
      cooldownUntilMs: toMs(s.cooldownUntil),
      cycleRunning: current !== null,
    });
  }

  /** Records each due-but-blocked trigger once per kind and blocking reason (they stay pending and fire later). */
  function noteBlocked(ev: TriggerEvaluation = evaluate()): void {
    if (!ev.blockedBy) return;
    const outcome: TriggerOutcome = ev.blockedBy === 'cooldown' ? 'suppressed-cooldown' : 'deferred-cycle-running';
    for (const t of ev.due) {
      if (ev.blockedBy === 'cooldown' && t.bypassesCooldown) continue;
      const key = `${t.kind}:${ev.blockedBy}`;
      if (s.notedBlocked.includes(key)) continue;
      s.notedBlocked = [...s.notedBlocked, key];
      const until = ev.blockedBy === 'cooldown' ? ` until ${s.cooldownUntil}` : ` (cycle ${current?.number} ${phase})`;
      recordTrigger({ ...t, reason: `${t.reason}; ${ev.blockedBy === 'cooldown' ? 'cooldown' : 'a cycle is running'}${until}` }, outcome);
    }
  }

  function poke(): void {
    wake++;
    if (current) noteBlocked();
  }

  function setChampion(champion: ChampionInfo | null): void {
    if (champion?.version === s.champion?.version && champion?.trainedAt === s.champion?.trainedAt) return;
    s.champion = champion;
    wake++;
  }

  function onManual(request: ManualRequest): RetrainRequestResult {
    const { merged, next } = mergeManual(s.pendingManual, request);
    s.pendingManual = next;
    const detail = { requestedBy: request.requestedBy, force: request.force, eventId: request.eventId ?? null };
    if (merged) recordTrigger({ kind: 'manual', reason: `requested by ${request.requestedBy}: ${request.reason}; joins a pending request`, detail }, 'merged');
    poke();
    const cooling = s.cooldownUntil !== null && now() < Date.parse(s.cooldownUntil) && !next.force;
    const status: RetrainRequestResult['status'] = merged ? 'merged' : current ? 'queued-cycle-running' : cooling ? 'queued-cooldown' : 'starting';
    return { status, cooldownUntil: s.cooldownUntil };
  }

  function onDrift(finding: DriftFinding): void {
    s.lastDrift = finding;
    const detail = { source: finding.source, reportId: finding.reportId, share: finding.share, eventId: finding.eventId ?? null };
    if (!finding.datasetDrift) {
      if (finding.source === 'event') recordTrigger({ kind: 'drift', reason: `drift event without dataset drift (share ${finding.share})`, detail }, 'noted');
      return;
    }
    if (current) {
      current.drift.push(finding);
      saveCycle();
      const awaiting = awaitingVersion();
      if (awaiting) {
        approval.expiredBy = finding;
        recordTrigger({ kind: 'drift', reason: `new drift report ${finding.reportId} expires the approval request for ${awaiting}; candidate re-evaluated`, detail }, 'noted');
        wake++;
        return;
      }
    }
    const { merged, next } = mergeDrift(s.pendingDrift, finding);
    s.pendingDrift = next;
    if (merged && !current) recordTrigger({ kind: 'drift', reason: `drift report ${finding.reportId} replaces the pending one`, detail }, 'merged');
    poke();
  }

  // ---- signals, updates, query ----------------------------------------------------------------------------------
  setHandler(labelsSignal, (batch) => {
    const events = Array.isArray(batch?.events) ? batch.events : [];
    const r = acceptLabelEvents(s, events);
    if (r.foreign > 0) log.warn('labels for another model ignored', { modelName, count: r.foreign });
    if (r.queued > 0) wake++;
  });

  // Bridged events of this model not seen before (the bridge delivers at least once), each once.
  const eachFreshEvent = <D extends { modelName: string }>(batch: { events?: Array<{ envelope: { id: string; data: D } }> } | undefined, handle: (data: D, eventId: string) => void) => {
    const events = Array.isArray(batch?.events) ? batch.events : [];
    const fresh = freshEventIds(s, events.map((e) => e.envelope.id));
    for (const e of events) {
      if (fresh.delete(e.envelope.id) && e.envelope.data.modelName === modelName) handle(e.envelope.data, e.envelope.id);
    }
  };

  setHandler(driftDetectedSignal, (batch) => {
    eachFreshEvent(batch, (d, eventId) => {
      onDrift({ source: 'event', reportId: d.reportId, datasetDrift: d.datasetDrift, share: d.share, driftedFeatures: d.driftedFeatures, at: iso(now()), eventId });
    });
  });

  setHandler(retrainRequestedSignal, (batch) => {
    eachFreshEvent(batch, (d, eventId) => onManual({ requestedBy: d.requestedBy, reason: d.reason, force: false, at: iso(now()), eventId }));
  });

  const manualFrom = (r: RetrainRequest): ManualRequest => ({
    requestedBy: r.requestedBy.trim(),
    reason: r.reason?.trim() || 'manual retrain',
    force: r.force === true,
    at: iso(now()),
  });

  setHandler(retrainSignal, (request) => {
    const rejection = checkRetrainRequest(request);
    if (rejection) return recordRefused({ kind: 'retrain', ...rejection, from: (request as { requestedBy?: string })?.requestedBy });
    onManual(manualFrom(request));
  });

  setHandler(requestRetrainUpdate, (request) => onManual(manualFrom(request)), { validator: (request) => refuse(checkRetrainRequest(request)) });

  const awaitingVersion = (): string | null => (approval.awaiting && !approval.decision && !approval.expiredBy ? approval.awaiting.version : null);

  function acceptDecision(kind: 'approve' | 'reject', request: PromotionDecisionRequest, via: 'update' | 'signal'): string {
    const { awaiting } = approval;
    if (!awaiting) throw ApplicationFailure.create({ type: LEARNING_FAILURES.requestRejected, message: 'no promotion is awaiting approval', nonRetryable: true });
    approval.decision = { kind, request: { ...request, approver: request.approver.trim(), version: request.version.trim() }, via, at: iso(now()) };
    wake++;
    return awaiting.requestId;
  }

  for (const [kind, update, signal] of [
    ['approve', approvePromotionUpdate, approvePromotionSignal],
    ['reject', rejectPromotionUpdate, rejectPromotionSignal],
  ] as const) {
    setHandler(
      update,
      async (request) => {
        const requestId = acceptDecision(kind, request, 'update');
        await condition(() => decisionResults.has(requestId));
        return decisionResults.get(requestId) as PromotionDecisionResult;
      },
      { validator: (request) => refuse(checkPromotionDecision(request, awaitingVersion(), s.config.approval.approvers)) },
    );
    setHandler(signal, (request) => {
      const rejection = checkPromotionDecision(request, awaitingVersion(), s.config.approval.approvers);
      if (rejection) {
        return recordRefused({ kind: kind === 'approve' ? 'approvePromotion' : 'rejectPromotion', ...rejection, from: (request as { approver?: string })?.approver });
      }
      acceptDecision(kind, request, 'signal');
    });
  }

  setHandler(
    updateConfigUpdate,
    (request) => {
      s.config = resolveLearningConfig(request.config, s.config).config;
      configVersion++;
      wake++;
      log.info('learning config changed', { modelName, changedBy: request.changedBy });
      return s.config;
    },
    { validator: (request) => refuse(checkConfigChange(request, s.config)) },
  );

  setHandler(statusQuery, (): LearningLoopStatus => {
    const info = workflowInfo();
    const scheduleDue = scheduleDueAtMs({
      config: s.config,
      championTrainedAtMs: toMs(s.champion?.trainedAt),
      lastTrainingAtMs: toMs(s.lastTrainingAt),
      loopStartedAtMs: Date.parse(s.startedAt),
    });
    const interval = s.config.drift.checkIntervalMs;
    return {
      modelName,
      workflowId: info.workflowId,
      runId: info.runId,
      phase,
      config: s.config,
      champion: s.champion,
      labels: { ...s.labels, sinceLastTraining: labelsSinceTraining(s), queued: s.pendingLabels.length },
      cooldownUntil: s.cooldownUntil,
      scheduleDueAt: scheduleDue === null ? null : iso(scheduleDue),
      nextDriftCheckAt: interval === null ? null : iso(Date.parse(s.lastDriftCheckAt ?? s.startedAt) + interval),
      lastDriftCheckAt: s.lastDriftCheckAt,
      lastDrift: s.lastDrift,
      pending: { manual: s.pendingManual, drift: s.pendingDrift },
      lastTrigger: s.lastTrigger,
      cycle: current,
      awaitingApproval: approval.awaiting && awaitingVersion() ? { requestId: approval.awaiting.requestId, version: approval.awaiting.version, deadline: approval.awaiting.deadline, approvers: s.config.approval.approvers } : null,
      history: s.history,
      triggers: s.triggers,
      refused: s.refused,
      runs: s.runs,
      cyclesThisRun,
      historyLength: info.historyLength,
    };
  });

  // ---- coroutines -----------------------------------------------------------------------------------------------
  async function labelPump(): Promise<void> {
    for (;;) {
      await condition(() => s.pendingLabels.length > 0 || stopping);
      if (stopping) return;
      const batch = s.pendingLabels.slice(0, LABEL_BATCH);
      try {
        const r = await store.recordLabels({ modelName, labels: batch });
        s.pendingLabels.splice(0, batch.length);
        s.labels.total += r.inserted;
        s.labels.updated += r.updated;
        s.labels.duplicates += r.unchanged;
      } catch (err) {
        log.error('storing labels failed; retrying', { modelName, error: errorText(err) });
        await sleep(PUMP_RETRY_MS);
        continue;
      }
      poke();
    }
  }

  async function driftTicker(): Promise<void> {
    while (!stopping) {
      const interval = s.config.drift.checkIntervalMs;
      const seen = configVersion;
      if (interval === null) {
        await condition(() => stopping || configVersion !== seen);
        continue;
      }
      const dueAt = Date.parse(s.lastDriftCheckAt ?? s.startedAt) + interval;
      if (now() < dueAt) {
        await condition(() => stopping || configVersion !== seen, dueAt - now());
        continue;
      }
      try {
        const r = await measure.checkDrift({ modelName, asOf: iso(now()), windowMs: s.config.drift.windowMs, minRows: s.config.drift.minRows });
        setChampion(r.champion);
        if (r.status === 'checked') onDrift(r.finding);
      } catch (err) {
        log.warn('drift check failed; next one at the next interval', { modelName, error: errorText(err) });
      } finally {
        s.lastDriftCheckAt = iso(now());
      }
    }
  }

  async function outboxPump(): Promise<void> {
    for (;;) {
      await condition(() => outbox.length > 0 || stopping);
      if (outbox.length === 0) return;
      const records = outbox.splice(0, OUTBOX_BATCH);
      try {
        await store.persistRecords({ modelName, workflowId, records });
      } catch (err) {
        log.error('persisting learning records failed; retrying', { modelName, error: errorText(err) });
        outbox.unshift(...records);
        await sleep(PUMP_RETRY_MS);
      }
    }
  }

  // ---- the cycle (steps in workflows/learning-cycle/steps.ts) -----------------------------------------------------
  async function refreshChampion(): Promise<void> {
    setChampion(await store.getChampion({ modelName }));
  }

  /** The loop as the host of its own cycle steps (loops started before the learningCycle child workflow). */
  const host: CycleHost = {
    modelName,
    config: () => s.config,
    champion: () => s.champion,
    refreshChampion,
    setPhase,
    saveCycle,
    enqueue,
    setPendingDrift: (finding) => {
      s.pendingDrift = finding;
    },
    approval,
    decisionResults,
    phase: () => phase,
  };

  async function runCycle(fire: DueTrigger, due: DueTrigger[]): Promise<void> {
    s.cycleSeq += 1;
    const id = `${modelName}-c${s.cycleSeq}-${uuid4().slice(0, 8)}`;
    const others = due.filter((t) => t.kind !== fire.kind).map((t) => t.kind);
    const trigger = recordTrigger({ ...fire, detail: { ...fire.detail, ...(others.length > 0 ? { alsoDue: others.join(',') } : {}) } }, 'started', id);
    s.lastTrigger = trigger;
    const asOf = iso(now());
    const c: CycleRecord = {
      id,
      number: s.cycleSeq,
      modelName,
      trigger,
      phase: 'retraining',
      startedAt: asOf,
      asOf,
      championAtStart: s.champion?.version ?? null,
      regates: [],
      approvals: [],
      drift: [],
    };
    current = c;
    // Starting a cycle consumes every pending trigger: the training set includes all labels and drift up to now.
    s.pendingManual = null;
    s.pendingDrift = null;
    s.labels.atLastTraining = s.labels.total;
    s.lastTrainingAt = asOf;
    s.notedBlocked = [];
    setPhase('retraining');
    saveCycle();

    await runCycleSteps(host, c);
    s.cooldownUntil = iso(now() + s.config.triggers.cooldownMs);
    saveCycle();
    // The carried history stays small: the evidence shown to approvers is in the approval table already.
    s.history = prependBounded(s.history, { ...c, approvals: c.approvals.map(({ evidence: _evidence, ...a }) => ({ ...a, evidence: {} })) }, MAX_CYCLES_KEPT);
    current = null;
    cyclesThisRun++;
    setPhase('idle');
    log.info('learning cycle ended', { modelName, cycle: c.number, outcome: c.outcome, reason: c.outcomeReason });
    try {
      await refreshChampion();
    } catch (err) {
      log.warn('refreshing the champion failed', { modelName, error: errorText(err) });
    }
  }

  // ---- main loop ------------------------------------------------------------------------------------------------
  const historyTooLong = (): boolean => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= s.config.continueAsNew.maxHistoryEvents;
  };
  const shouldContinueAsNew = (): boolean => cyclesThisRun >= s.config.continueAsNew.afterCycles || historyTooLong();

  upsertSearchAttributes([{ key: LEARNING_PHASE_SEARCH_ATTRIBUTE, value: phase }]);
  const pumps = [labelPump(), driftTicker(), outboxPump()];
  await refreshChampion();

  while (!shouldContinueAsNew()) {
    let ev = evaluate();
    if (ev.fire?.kind === 'schedule') {
      // The champion may have changed outside the loop (CLI promotion): check its age before retraining on it.
      await refreshChampion();
      ev = evaluate();
    }
    if (ev.fire) {
      await runCycle(ev.fire, ev.due);
      continue;
    }
    noteBlocked(ev);
    const seen = wake;
    if (ev.wakeAtMs === null) await condition(() => wake !== seen || historyTooLong());
    else await condition(() => wake !== seen || historyTooLong(), Math.max(1, ev.wakeAtMs - now()));
  }

  // ---- continue-as-new: between cycles, after the coroutines are idle and every handler has finished ------------
  stopping = true;
  await Promise.all(pumps);
  await condition(allHandlersFinished);
  // Records a handler queued after the outbox stopped are written here, before the run ends.
  while (outbox.length > 0) await store.persistRecords({ modelName, workflowId, records: outbox.splice(0, OUTBOX_BATCH) });
  log.info('learning loop continues as new', { modelName, cycles: s.cycleSeq, runs: s.runs });
  return continueAsNew<typeof learningLoop>({ modelName, state: s });
}
