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
  executeChild,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { LearningActivities } from '../activities/learning.activities';
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
import { ALIAS, MEASURE, STORE, TRAIN } from './learning/activity-profiles';
import type { BackfillGateConfig } from './learning/config';
import { REPLAY_JOB_WORKFLOW_TYPE } from './replay-job.messages';
import type { replayJob } from './replay-job.workflow';
import { judgeBackfill, type BackfillGateResult } from './replay/gate';
import { prependBounded } from './learning/bounded';
import { resolveLearningConfig } from './learning/config';
import { decideGate, judgePaired, judgeWatch } from './learning/decisions';
import { checkConfigChange, checkPromotionDecision, checkRetrainRequest, type PromotionDecisionRequest, type RequestRejection, type RetrainRequest } from './learning/requests';
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
  ApprovalRecord,
  ChampionInfo,
  CycleOutcome,
  CycleRecord,
  DriftFinding,
  LearningLoopState,
  LearningLoopStatus,
  LearningPhase,
  LearningRecord,
  ManualRequest,
  PairedComparison,
  RefusedRequest,
  TriggerOutcome,
  TriggerRecord,
} from './learning/types';

const store = proxyActivities<LearningActivities>(STORE);
const measure = proxyActivities<LearningActivities>(MEASURE);
const train = proxyActivities<LearningActivities>(TRAIN);
const alias = proxyActivities<LearningActivities>(ALIAS);

/** Actor recorded for what the loop does on its own (shadow changes, auto-reject, rollback). */
const LOOP_ACTOR = 'learning-loop';
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const LABEL_BATCH = 1000;
const OUTBOX_BATCH = 50;
const PUMP_RETRY_MS = 30_000;

const iso = (ms: number): string => new Date(ms).toISOString();
const now = (): number => Date.now();
const toMs = (t: string | null | undefined): number | null => (t ? Date.parse(t) : null);

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message !== err.message ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

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
  let awaiting: ApprovalRecord | null = null;
  let decision: { kind: 'approve' | 'reject'; request: PromotionDecisionRequest; via: 'update' | 'signal'; at: string } | null = null;
  let expiredBy: DriftFinding | null = null;
  const decisionResults = new Map<string, PromotionDecisionResult>();
  const pendingOutcome = () => ({ decided: decision, drift: expiredBy });

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
      if (awaiting && !decision && !expiredBy) {
        expiredBy = finding;
        recordTrigger({ kind: 'drift', reason: `new drift report ${finding.reportId} expires the approval request for ${awaiting.version}; candidate re-evaluated`, detail }, 'noted');
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

  const awaitingVersion = (): string | null => (awaiting && !decision && !expiredBy ? awaiting.version : null);

  function acceptDecision(kind: 'approve' | 'reject', request: PromotionDecisionRequest, via: 'update' | 'signal'): string {
    if (!awaiting) throw ApplicationFailure.create({ type: LEARNING_FAILURES.requestRejected, message: 'no promotion is awaiting approval', nonRetryable: true });
    decision = { kind, request: { ...request, approver: request.approver.trim(), version: request.version.trim() }, via, at: iso(now()) };
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
      awaitingApproval: awaiting && awaitingVersion() ? { requestId: awaiting.requestId, version: awaiting.version, deadline: awaiting.deadline, approvers: s.config.approval.approvers } : null,
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

  // ---- the cycle ------------------------------------------------------------------------------------------------
  async function comparePaired(primaryVersion: string, secondaryVersion: string, sinceIso: string): Promise<PairedComparison | undefined> {
    try {
      return await measure.comparePaired({ modelName, primaryVersion, secondaryVersion, since: sinceIso, until: iso(now()) });
    } catch (err) {
      log.warn('paired comparison failed; treated as no data yet', { modelName, error: errorText(err) });
      return undefined;
    }
  }

  async function refreshChampion(): Promise<void> {
    setChampion(await store.getChampion({ modelName }));
  }

  async function setShadow(version: string | null, reason: string): Promise<void> {
    await alias.setShadowAlias({ modelName, version, actor: LOOP_ACTOR, reason });
  }

  type Ending = { outcome: CycleOutcome; reason: string };

  async function shadowPhase(c: CycleRecord, candidate: string, champion: string): Promise<void> {
    const cfg = s.config.shadow;
    setPhase('shadowing');
    await setShadow(candidate, `shadow evaluation of ${candidate} (cycle ${c.number})`);
    const startedAt = now();
    const shadow = (c.shadow = { version: candidate, championVersion: champion, startedAt: iso(startedAt), metric: cfg.metric, polls: 0 } as NonNullable<CycleRecord['shadow']>);
    saveCycle();
    const deadline = startedAt + cfg.maxDurationMs;
    for (;;) {
      await sleep(Math.max(1, Math.min(cfg.pollIntervalMs, deadline - now())));
      const cmp = await comparePaired(champion, candidate, shadow.startedAt);
      shadow.polls++;
      if (cmp) shadow.comparison = cmp;
      const j = judgePaired(shadow.comparison, cfg.metric, cfg.minLabeledSamples, cfg.maxDegradation);
      shadow.improvement = j.improvement;
      saveCycle();
      if ((shadow.comparison?.samples ?? 0) >= cfg.minLabeledSamples) shadow.endedBy = 'min-samples';
      else if (now() >= deadline) shadow.endedBy = 'max-duration';
      if (shadow.endedBy) {
        shadow.endedAt = iso(now());
        shadow.verdict = j.verdict;
        saveCycle();
        return;
      }
    }
  }

  /** One approval request; resolves with the decision, the deadline, or an expiry by drift. */
  async function approvalRequest(c: CycleRecord, candidate: string): Promise<ApprovalRecord> {
    setPhase('awaiting-approval');
    const requestedAt = now();
    const request: ApprovalRecord = {
      requestId: uuid4(),
      cycleId: c.id,
      modelName,
      version: candidate,
      status: 'pending',
      requestedAt: iso(requestedAt),
      deadline: iso(requestedAt + s.config.approval.deadlineMs),
      evidence: { gate: c.regates[c.regates.length - 1] ?? c.gate, shadow: c.shadow },
    };
    c.approvals.push(request);
    awaiting = request;
    decision = null;
    expiredBy = null;
    saveCycle();
    enqueue({ type: 'approval', approval: request });
    log.info('promotion awaiting approval', { modelName, version: candidate, deadline: request.deadline });

    await condition(() => decision !== null || expiredBy !== null, s.config.approval.deadlineMs);
    const at = iso(now());
    // Read through a function: the handlers changed these while we waited (TypeScript still sees the nulls above).
    const { decided, drift } = pendingOutcome();
    if (decided) {
      request.status = decided.kind === 'approve' ? 'approved' : 'rejected';
      request.decidedBy = decided.request.approver;
      request.decidedAt = decided.at;
      request.reason = decided.request.reason?.trim() || (decided.kind === 'approve' ? 'approved' : 'rejected');
      request.via = decided.via;
    } else if (drift) {
      request.status = 'expired';
      request.decidedBy = LOOP_ACTOR;
      request.decidedAt = at;
      request.reason = `drift report ${drift.reportId} arrived while waiting (${(drift.share * 100).toFixed(0)}% of features drifted)`;
      request.via = 'drift';
    } else {
      request.status = 'auto-rejected';
      request.decidedBy = LOOP_ACTOR;
      request.decidedAt = at;
      request.reason = `no decision by the deadline ${request.deadline}`;
      request.via = 'deadline';
    }
    awaiting = null;
    saveCycle();
    enqueue({ type: 'approval', approval: request });
    if (request.status === 'rejected') {
      decisionResults.set(request.requestId, { requestId: request.requestId, version: candidate, decision: 'rejected', decidedBy: request.decidedBy ?? '', at: request.decidedAt ?? at });
    }
    return request;
  }

  /** After drift expired an approval request: the candidate is measured again on data up to now. */
  async function reevaluate(c: CycleRecord, candidate: string): Promise<string | null> {
    setPhase('gating');
    await refreshChampion();
    const championVersion = s.champion?.version ?? null;
    const measured = await train.evaluateHoldout({ modelName, asOf: iso(now()), challengerVersion: candidate, championVersion, training: s.config.training });
    const gate = decideGate(measured, championVersion, s.config.gate);
    c.regates.push(gate);
    saveCycle();
    if (!gate.passed) return `re-evaluation after drift: gate failed (${gate.reasons.join('; ')})`;
    if (c.shadow && championVersion) {
      const cmp = await comparePaired(championVersion, candidate, c.shadow.startedAt);
      if (cmp) c.shadow.comparison = cmp;
      const j = judgePaired(c.shadow.comparison, s.config.shadow.metric, s.config.shadow.minLabeledSamples, s.config.shadow.maxDegradation);
      c.shadow.improvement = j.improvement;
      c.shadow.verdict = j.verdict;
      saveCycle();
      if (j.verdict === 'worse') return `re-evaluation after drift: shadow now worse (${j.reason})`;
    }
    return null;
  }

  async function watchPhase(c: CycleRecord, version: string, previous: string): Promise<Ending | null> {
    const cfg = s.config.watch;
    setPhase('watching');
    await setShadow(previous, `post-promotion watch: previous champion ${previous} shadows ${version}`);
    const startedAt = now();
    const watch = (c.watch = { version, previousVersion: previous, startedAt: iso(startedAt), metric: cfg.metric, polls: 0 } as NonNullable<CycleRecord['watch']>);
    saveCycle();
    const deadline = startedAt + cfg.durationMs;
    while (now() < deadline) {
      await sleep(Math.max(1, Math.min(cfg.checkIntervalMs, deadline - now())));
      const cmp = await comparePaired(version, previous, watch.startedAt);
      watch.polls++;
      if (cmp) watch.comparison = cmp;
      const j = judgeWatch(watch.comparison, cfg);
      watch.improvement = j.improvement;
      watch.verdict = j.verdict;
      saveCycle();
      if (j.regression) {
        setPhase('rolling-back');
        const r = await alias.rollbackVersion({ modelName, expectedChampion: version, reason: `automatic rollback: ${j.reason}` });
        c.rollback = { from: version, to: r.champion, reason: j.reason, at: iso(now()), changed: r.changed };
        watch.endedAt = iso(now());
        await setShadow(null, `rollback of ${version}`);
        saveCycle();
        return { outcome: 'rolled-back', reason: j.reason };
      }
    }
    watch.endedAt = iso(now());
    await setShadow(null, `post-promotion watch of ${version} ended`);
    saveCycle();
    return null;
  }

  /** The challenger replayed over the last hours of the topic by a child replay job (never acts), then judged. */
  async function backfillGate(c: CycleRecord, candidate: string, cfg: BackfillGateConfig): Promise<BackfillGateResult> {
    const to = iso(now());
    const from = iso(now() - cfg.hours * 3_600_000);
    const replayId = `replay-gate-${c.id}`;
    const { report } = await executeChild<typeof replayJob>(REPLAY_JOB_WORKFLOW_TYPE, {
      workflowId: replayId,
      args: [{ params: { replayId, kind: 'score', topic: cfg.topic, from: { time: from }, to: { time: to }, modelName, modelVersion: candidate, requestedBy: LOOP_ACTOR } }],
      staticSummary: `backfill gate: ${candidate} over the last ${cfg.hours} h of ${cfg.topic} (cycle ${c.number})`,
    });
    if (report.kind !== 'score') throw ApplicationFailure.create({ type: LEARNING_FAILURES.configInvalid, message: `replay ${replayId} returned a ${report.kind} report`, nonRetryable: true });
    return judgeBackfill(report, cfg, { from, to });
  }

  async function cycleSteps(c: CycleRecord): Promise<Ending> {
    // 1. retrain
    const trained = await train.trainChallenger({ modelName, cycleId: c.id, asOf: c.asOf, training: s.config.training });
    if (trained.status === 'insufficient-data') {
      const { rows, positives, minRows, minPositives } = trained;
      c.insufficientData = { rows, positives, minRows, minPositives };
      return { outcome: 'insufficient-data', reason: `${rows} labelled rows with ${positives} fraud labels; at least ${minRows} / ${minPositives} needed` };
    }
    const { status: _status, ...training } = trained;
    const candidate = training.version;
    c.training = training;
    c.candidate = candidate;
    saveCycle();

    // 2. gate
    setPhase('gating');
    await refreshChampion();
    const championVersion = s.champion?.version ?? null;
    const measured = await train.evaluateHoldout({ modelName, asOf: c.asOf, challengerVersion: candidate, championVersion, training: s.config.training });
    c.gate = decideGate(measured, championVersion, s.config.gate);
    saveCycle();
    if (!c.gate.passed) return { outcome: 'gate-failed', reason: c.gate.reasons.join('; ') };
    // 2b. optional backfill gate (off unless configured; loops carried from before it existed have no such key)
    const backfill = s.config.backfillGate ?? null;
    if (backfill) {
      c.backfill = await backfillGate(c, candidate, backfill);
      saveCycle();
      if (!c.backfill.passed) return { outcome: 'gate-failed', reason: `backfill: ${c.backfill.reason}` };
    }

    // 3. shadow (needs a champion deciding next to it)
    if (championVersion !== null) {
      await shadowPhase(c, candidate, championVersion);
      if (c.shadow?.verdict === 'worse') {
        await setShadow(null, `shadow of ${candidate} ended: worse than ${championVersion}`);
        return { outcome: 'shadow-failed', reason: judgePaired(c.shadow.comparison, s.config.shadow.metric, s.config.shadow.minLabeledSamples, s.config.shadow.maxDegradation).reason };
      }
    }

    // 4. approval (a drift report while waiting expires the request: measure again, ask again if still good)
    let approved: ApprovalRecord;
    for (;;) {
      const request = await approvalRequest(c, candidate);
      if (request.status === 'approved') {
        approved = request;
        break;
      }
      if (request.status === 'expired') {
        const failed = await reevaluate(c, candidate);
        if (failed === null) continue;
        if (c.shadow) await setShadow(null, `candidate ${candidate} dropped after drift`);
        if (expiredBy) s.pendingDrift = expiredBy;
        return { outcome: 'expired', reason: failed };
      }
      if (c.shadow) await setShadow(null, `candidate ${candidate} ${request.status}`);
      return { outcome: request.status === 'rejected' ? 'rejected' : 'auto-rejected', reason: `${request.decidedBy}: ${request.reason}` };
    }

    // 5. promote: one atomic alias flip with the approver in the alias history
    setPhase('promoting');
    const approver = approved.decidedBy ?? '';
    const reason = `${approved.reason} (cycle ${c.number}, approval ${approved.requestId})`;
    const promoted = await alias.promoteVersion({ modelName, version: candidate, approver, reason });
    c.promotion = { version: candidate, previousChampion: promoted.previousChampion, approver, reason, at: iso(now()), changed: promoted.changed };
    saveCycle();
    decisionResults.set(approved.requestId, {
      requestId: approved.requestId,
      version: candidate,
      decision: 'approved',
      decidedBy: approver,
      at: approved.decidedAt ?? c.promotion.at,
      promotion: c.promotion,
    });
    s.pendingDrift = null; // drift measured against the old champion no longer applies
    await refreshChampion();

    // 6. watch
    if (s.config.watch.durationMs > 0 && promoted.previousChampion !== null) {
      const rolledBack = await watchPhase(c, candidate, promoted.previousChampion);
      if (rolledBack) return rolledBack;
    }
    return { outcome: 'promoted', reason: `${candidate} promoted by ${approver}` };
  }

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

    let ending: Ending;
    try {
      ending = await cycleSteps(c);
    } catch (err) {
      ending = { outcome: c.promotion ? 'promoted' : 'failed', reason: errorText(err) };
      c.error = errorText(err);
      log.error('learning cycle failed', { modelName, cycle: c.number, phase, error: c.error });
      // Leave no alias half-moved: a shadow this cycle set is cleared (the promotion, if done, stands).
      if (c.shadow || c.watch) {
        try {
          await setShadow(null, `cycle ${c.number} failed: ${c.error}`);
        } catch (cleanupErr) {
          log.error('clearing the shadow alias failed', { modelName, error: errorText(cleanupErr) });
        }
      }
    }
    // Answer decision updates that are still waiting (e.g. the promotion failed for good).
    for (const a of c.approvals) {
      if ((a.status === 'approved' || a.status === 'rejected') && !decisionResults.has(a.requestId)) {
        decisionResults.set(a.requestId, { requestId: a.requestId, version: a.version, decision: a.status, decidedBy: a.decidedBy ?? '', at: a.decidedAt ?? iso(now()), promotion: c.promotion });
      }
    }
    awaiting = null;
    decision = null;
    expiredBy = null;
    c.outcome = ending.outcome;
    c.outcomeReason = ending.reason;
    c.endedAt = iso(now());
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
