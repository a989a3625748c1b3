// learningLoop: one long-running workflow per model (id `learning-<model>`, task queue `learning`).
//
//   inputs    labels (bridge, batched) · drift events · retrain requests · its own timers (drift check, schedule)
//   triggers  volume ≥ N new labels · drift (periodic check or event) · schedule (model older than max age) · manual
//             cooldown after each cycle, one cycle at a time, every trigger recorded with its reason
//   cycle     a learningCycle child workflow `<loop id>-cycle-<n>` (workflows/learning-cycle/): retrain → gate →
//             shadow → approval → promote → watch → rollback. The loop forwards decisions, drift and configuration
//             to it and mirrors its progress; a cycle started before the child existed runs inline (the same steps,
//             behind LEARNING_PATCHES.cycleChild) so loops running today replay unchanged
//   continue-as-new after K cycles or a history bound, only between cycles, carrying the state
//
// Beside the main loop: the handlers (learning-loop/input-handlers.ts, decision-handlers.ts), three coroutines
// (learning-loop/coroutines.ts: label pump, drift ticker, outbox) and the status query (learning-loop/status.ts).
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { LearningActivities } from '../../activities/learning.activities';
import { cycleConfigSignal, cycleDriftSignal, forwardedDecisionSignal } from '../learning-cycle/learning-cycle.messages';
import { errorText, iso, now, runCycleSteps, type ApprovalState, type CycleHost } from '../learning-cycle/steps';
import {
  LEARNING_FAILURES,
  LEARNING_PHASE_SEARCH_ATTRIBUTE,
  statusQuery,
  updateConfigUpdate,
  type LearningLoopInput,
  type PromotionDecisionResult,
  type RetrainRequestResult,
} from './learning-loop.messages';
import { STORE } from '../learning/activity-profiles';
import { prependBounded } from '../learning/bounded';
import { enqueueRecord } from '../learning/outbox';
import { LEARNING_PATCHES } from '../learning/patches';
import { resolveLearningConfig } from '../learning/config';
import { checkConfigChange } from '../learning/requests';
import {
  initialState,
  labelsSinceTraining,
  MAX_CYCLES_KEPT,
  MAX_REFUSED_KEPT,
  MAX_TRIGGERS_KEPT,
  mergeDrift,
  mergeManual,
} from '../learning/state';
import { driftTicker, labelPump, outboxPump, OUTBOX_BATCH, type LoopRun } from './coroutines';
import { awaitingVersion as awaitingOf, refuse, setDecisionHandlers } from './decision-handlers';
import { createCycleChildren } from './cycle-children';
import { setInputHandlers } from './input-handlers';
import { loopStatus } from './status';
import { evaluateTriggers, type DueTrigger, type TriggerEvaluation } from '../learning/triggers';
import type {
  ChampionInfo,
  CycleRecord,
  DriftFinding,
  LearningLoopState,
  LearningPhase,
  LearningRecord,
  ManualRequest,
  RefusedRequest,
  TriggerOutcome,
  TriggerRecord,
} from './learning-loop.messages';

const store = proxyActivities<LearningActivities>(STORE);
const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const toMs = (t: string | null | undefined): number | null => (t ? Date.parse(t) : null);

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
  /** Approval requests a cycle child closed without the decision the loop forwarded (expired, deadline): by status. */
  const closedRequests = new Map<string, string>();
  const children = createCycleChildren({
    s,
    workflowId,
    current: () => current,
    setCurrent: (c) => {
      current = c;
    },
    setPhase: (next) => setPhase(next),
    setChampion: (champion) => setChampion(champion),
    saveCycle: () => saveCycle(),
    approval,
    decisionResults,
    closedRequests,
  });
  const toCycle = children.send;

  // ---- recording ------------------------------------------------------------------------------------------------
  function enqueue(record: LearningRecord): void {
    enqueueRecord(outbox, record);
  }

  function saveCycle(): void {
    // A cycle child writes its own records; the loop's `current` is then the child's last snapshot.
    if (current && !children.running()) enqueue({ type: 'cycle', cycle: current });
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
      toCycle((child) => child.signal(cycleDriftSignal, finding));
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
  setInputHandlers({
    s,
    wake: () => {
      wake++;
    },
    onDrift,
    onManual,
    recordRefused,
  });

  const awaitingVersion = (): string | null => awaitingOf(approval);

  setDecisionHandlers({
    approval,
    decisionResults,
    closedRequests,
    approvers: () => s.config.approval.approvers,
    recordRefused,
    accepted: (kind, request, via) => {
      toCycle((child) => child.signal(forwardedDecisionSignal, { kind, request, via }));
      wake++;
    },
  });

  setHandler(
    updateConfigUpdate,
    (request) => {
      s.config = resolveLearningConfig(request.config, s.config).config;
      configVersion++;
      wake++;
      const config = s.config;
      toCycle((child) => child.signal(cycleConfigSignal, config));
      log.info('learning config changed', { modelName, changedBy: request.changedBy });
      return s.config;
    },
    { validator: (request) => refuse(checkConfigChange(request, s.config)) },
  );

  setHandler(statusQuery, () =>
    loopStatus(s, {
      phase,
      cycle: current,
      cycleWorkflowId: children.running()?.workflowId ?? null,
      awaiting: awaitingVersion() ? approval.awaiting : null,
      cyclesThisRun,
    }),
  );

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
    let c: CycleRecord = {
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
    const inChild = patched(LEARNING_PATCHES.cycleChild);
    setPhase('retraining');
    if (inChild) {
      c = await children.run(c);
      s.cooldownUntil = iso(Date.parse(c.endedAt ?? iso(now())) + s.config.triggers.cooldownMs);
    } else {
      saveCycle();
      await runCycleSteps(host, c);
      s.cooldownUntil = iso(now() + s.config.triggers.cooldownMs);
      saveCycle();
    }
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
  const run: LoopRun = { s, workflowId, outbox, stopping: () => stopping, configVersion: () => configVersion, poke, setChampion, onDrift };
  const pumps = [labelPump(run), driftTicker(run), outboxPump(run)];
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
