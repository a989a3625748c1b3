// The steps of one learning cycle: retrain → gate (challenger vs champion, same holdout) → optional backfill gate (a
// child replay job) → shadow (alias "shadow", paired comparison on live traffic) → approval (update/signal,
// allow-list, deadline → auto-reject, drift → expire and re-evaluate) → promote (atomic alias flip + history with
// approver) → watch (previous champion shadows the new one; regression → automatic rollback).
//
// They run against a `CycleHost`: the learningCycle child workflow (workflows/learning-cycle/learning-cycle.workflow.ts)
// and, for loops started before it existed, the learningLoop itself (behind the patch, workflows/learning/patches.ts).
// The commands they issue are the loop's of before the split, in the same order: recorded histories replay unchanged.
import { ApplicationFailure, condition, executeChild, log, proxyActivities, sleep, uuid4 } from '@temporalio/workflow';
import type { LearningActivities } from '../../activities/learning.activities';
import { LEARNING_FAILURES, type PromotionDecisionResult } from '../learning-loop/learning-loop.messages';
import { ALIAS, MEASURE, TRAIN } from '../learning/activity-profiles';
import type { BackfillGateConfig, LearningLoopConfig } from '../learning/config';
import { decideGate, judgePaired, judgeWatch } from '../learning/decisions';
import type { PromotionDecisionRequest } from '../learning/requests';
import type { ApprovalRecord, ChampionInfo, CycleOutcome, CycleRecord, DriftFinding, LearningPhase, LearningRecord, PairedComparison } from '../learning/types';
import { REPLAY_JOB_WORKFLOW_TYPE } from '../replay-job/replay-job.messages';
import type { replayJob } from '../replay-job/replay-job.workflow';
import { judgeBackfill, type BackfillGateResult } from '../replay-job/gate';

const measure = proxyActivities<LearningActivities>(MEASURE);
const train = proxyActivities<LearningActivities>(TRAIN);
const alias = proxyActivities<LearningActivities>(ALIAS);

/** Actor recorded for what the loop and its cycles do on their own (shadow changes, auto-reject, rollback). */
export const LOOP_ACTOR = 'learning-loop';

export const iso = (ms: number): string => new Date(ms).toISOString();
export const now = (): number => Date.now();

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message !== err.message ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

/** A decision a handler accepted for the open approval request. */
export interface AcceptedDecision {
  kind: 'approve' | 'reject';
  request: PromotionDecisionRequest;
  via: 'update' | 'signal';
  at: string;
}

/** The open approval request and what arrived for it; handlers write, the approval step reads. */
export interface ApprovalState {
  awaiting: ApprovalRecord | null;
  decision: AcceptedDecision | null;
  expiredBy: DriftFinding | null;
}

const current = (a: ApprovalState): ApprovalState => a;

/** What the steps need from the workflow they run in. */
export interface CycleHost {
  modelName: string;
  config(): LearningLoopConfig;
  champion(): ChampionInfo | null;
  refreshChampion(): Promise<void>;
  setPhase(phase: LearningPhase): void;
  /** Queues the current snapshot of the cycle for persistence. */
  saveCycle(): void;
  enqueue(record: LearningRecord): void;
  /** Drift the loop should retrain on next (after an expiry whose re-evaluation failed), or none (after a promotion). */
  setPendingDrift(finding: DriftFinding | null): void;
  approval: ApprovalState;
  /** Answers of decision updates, by approval request id. */
  decisionResults: Map<string, PromotionDecisionResult>;
  /** The phase, for the log line of a failed cycle. */
  phase(): LearningPhase;
}

export async function comparePaired(h: CycleHost, primaryVersion: string, secondaryVersion: string, sinceIso: string): Promise<PairedComparison | undefined> {
  try {
    return await measure.comparePaired({ modelName: h.modelName, primaryVersion, secondaryVersion, since: sinceIso, until: iso(now()) });
  } catch (err) {
    log.warn('paired comparison failed; treated as no data yet', { modelName: h.modelName, error: errorText(err) });
    return undefined;
  }
}

export async function setShadow(h: CycleHost, version: string | null, reason: string): Promise<void> {
  await alias.setShadowAlias({ modelName: h.modelName, version, actor: LOOP_ACTOR, reason });
}

export type Ending = { outcome: CycleOutcome; reason: string };

export async function shadowPhase(h: CycleHost, c: CycleRecord, candidate: string, champion: string): Promise<void> {
  const cfg = h.config().shadow;
  h.setPhase('shadowing');
  await setShadow(h, candidate, `shadow evaluation of ${candidate} (cycle ${c.number})`);
  const startedAt = now();
  const shadow = (c.shadow = { version: candidate, championVersion: champion, startedAt: iso(startedAt), metric: cfg.metric, polls: 0 } as NonNullable<CycleRecord['shadow']>);
  h.saveCycle();
  const deadline = startedAt + cfg.maxDurationMs;
  for (;;) {
    await sleep(Math.max(1, Math.min(cfg.pollIntervalMs, deadline - now())));
    const cmp = await comparePaired(h, champion, candidate, shadow.startedAt);
    shadow.polls++;
    if (cmp) shadow.comparison = cmp;
    const j = judgePaired(shadow.comparison, cfg.metric, cfg.minLabeledSamples, cfg.maxDegradation);
    shadow.improvement = j.improvement;
    h.saveCycle();
    if ((shadow.comparison?.samples ?? 0) >= cfg.minLabeledSamples) shadow.endedBy = 'min-samples';
    else if (now() >= deadline) shadow.endedBy = 'max-duration';
    if (shadow.endedBy) {
      shadow.endedAt = iso(now());
      shadow.verdict = j.verdict;
      h.saveCycle();
      return;
    }
  }
}

/** One approval request; resolves with the decision, the deadline, or an expiry by drift. */
export async function approvalRequest(h: CycleHost, c: CycleRecord, candidate: string): Promise<ApprovalRecord> {
  h.setPhase('awaiting-approval');
  const requestedAt = now();
  const request: ApprovalRecord = {
    requestId: uuid4(),
    cycleId: c.id,
    modelName: h.modelName,
    version: candidate,
    status: 'pending',
    requestedAt: iso(requestedAt),
    deadline: iso(requestedAt + h.config().approval.deadlineMs),
    evidence: { gate: c.regates[c.regates.length - 1] ?? c.gate, shadow: c.shadow },
  };
  c.approvals.push(request);
  h.approval.awaiting = request;
  h.approval.decision = null;
  h.approval.expiredBy = null;
  h.saveCycle();
  h.enqueue({ type: 'approval', approval: request });
  log.info('promotion awaiting approval', { modelName: h.modelName, version: candidate, deadline: request.deadline });

  await condition(() => h.approval.decision !== null || h.approval.expiredBy !== null, h.config().approval.deadlineMs);
  const at = iso(now());
  // Read through a function: the handlers changed these while we waited (TypeScript still sees the nulls above).
  const { decision: decided, expiredBy: drift } = current(h.approval);
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
  h.approval.awaiting = null;
  h.saveCycle();
  h.enqueue({ type: 'approval', approval: request });
  if (request.status === 'rejected') {
    h.decisionResults.set(request.requestId, { requestId: request.requestId, version: candidate, decision: 'rejected', decidedBy: request.decidedBy ?? '', at: request.decidedAt ?? at });
  }
  return request;
}

/** After drift expired an approval request: the candidate is measured again on data up to now. */
export async function reevaluate(h: CycleHost, c: CycleRecord, candidate: string): Promise<string | null> {
  h.setPhase('gating');
  await h.refreshChampion();
  const championVersion = h.champion()?.version ?? null;
  const measured = await train.evaluateHoldout({ modelName: h.modelName, asOf: iso(now()), challengerVersion: candidate, championVersion, training: h.config().training });
  const gate = decideGate(measured, championVersion, h.config().gate);
  c.regates.push(gate);
  h.saveCycle();
  if (!gate.passed) return `re-evaluation after drift: gate failed (${gate.reasons.join('; ')})`;
  if (c.shadow && championVersion) {
    const cmp = await comparePaired(h, championVersion, candidate, c.shadow.startedAt);
    if (cmp) c.shadow.comparison = cmp;
    const j = judgePaired(c.shadow.comparison, h.config().shadow.metric, h.config().shadow.minLabeledSamples, h.config().shadow.maxDegradation);
    c.shadow.improvement = j.improvement;
    c.shadow.verdict = j.verdict;
    h.saveCycle();
    if (j.verdict === 'worse') return `re-evaluation after drift: shadow now worse (${j.reason})`;
  }
  return null;
}

export async function watchPhase(h: CycleHost, c: CycleRecord, version: string, previous: string): Promise<Ending | null> {
  const cfg = h.config().watch;
  h.setPhase('watching');
  await setShadow(h, previous, `post-promotion watch: previous champion ${previous} shadows ${version}`);
  const startedAt = now();
  const watch = (c.watch = { version, previousVersion: previous, startedAt: iso(startedAt), metric: cfg.metric, polls: 0 } as NonNullable<CycleRecord['watch']>);
  h.saveCycle();
  const deadline = startedAt + cfg.durationMs;
  while (now() < deadline) {
    await sleep(Math.max(1, Math.min(cfg.checkIntervalMs, deadline - now())));
    const cmp = await comparePaired(h, version, previous, watch.startedAt);
    watch.polls++;
    if (cmp) watch.comparison = cmp;
    const j = judgeWatch(watch.comparison, cfg);
    watch.improvement = j.improvement;
    watch.verdict = j.verdict;
    h.saveCycle();
    if (j.regression) {
      h.setPhase('rolling-back');
      const r = await alias.rollbackVersion({ modelName: h.modelName, expectedChampion: version, reason: `automatic rollback: ${j.reason}` });
      c.rollback = { from: version, to: r.champion, reason: j.reason, at: iso(now()), changed: r.changed };
      watch.endedAt = iso(now());
      await setShadow(h, null, `rollback of ${version}`);
      h.saveCycle();
      return { outcome: 'rolled-back', reason: j.reason };
    }
  }
  watch.endedAt = iso(now());
  await setShadow(h, null, `post-promotion watch of ${version} ended`);
  h.saveCycle();
  return null;
}

/** The challenger replayed over the last hours of the topic by a child replay job (never acts), then judged. */
export async function backfillGate(h: CycleHost, c: CycleRecord, candidate: string, cfg: BackfillGateConfig): Promise<BackfillGateResult> {
  const to = iso(now());
  const from = iso(now() - cfg.hours * 3_600_000);
  const replayId = `replay-gate-${c.id}`;
  const { report } = await executeChild<typeof replayJob>(REPLAY_JOB_WORKFLOW_TYPE, {
    workflowId: replayId,
    args: [{ params: { replayId, kind: 'score', topic: cfg.topic, from: { time: from }, to: { time: to }, modelName: h.modelName, modelVersion: candidate, requestedBy: LOOP_ACTOR } }],
    staticSummary: `backfill gate: ${candidate} over the last ${cfg.hours} h of ${cfg.topic} (cycle ${c.number})`,
  });
  if (report.kind !== 'score') throw ApplicationFailure.create({ type: LEARNING_FAILURES.configInvalid, message: `replay ${replayId} returned a ${report.kind} report`, nonRetryable: true });
  return judgeBackfill(report, cfg, { from, to });
}

export async function cycleSteps(h: CycleHost, c: CycleRecord): Promise<Ending> {
  // 1. retrain
  const trained = await train.trainChallenger({ modelName: h.modelName, cycleId: c.id, asOf: c.asOf, training: h.config().training });
  if (trained.status === 'insufficient-data') {
    const { rows, positives, minRows, minPositives } = trained;
    c.insufficientData = { rows, positives, minRows, minPositives };
    return { outcome: 'insufficient-data', reason: `${rows} labelled rows with ${positives} fraud labels; at least ${minRows} / ${minPositives} needed` };
  }
  const { status: _status, ...training } = trained;
  const candidate = training.version;
  c.training = training;
  c.candidate = candidate;
  h.saveCycle();

  // 2. gate
  h.setPhase('gating');
  await h.refreshChampion();
  const championVersion = h.champion()?.version ?? null;
  const measured = await train.evaluateHoldout({ modelName: h.modelName, asOf: c.asOf, challengerVersion: candidate, championVersion, training: h.config().training });
  c.gate = decideGate(measured, championVersion, h.config().gate);
  h.saveCycle();
  if (!c.gate.passed) return { outcome: 'gate-failed', reason: c.gate.reasons.join('; ') };
  // 2b. optional backfill gate (off unless configured; loops carried from before it existed have no such key)
  const backfill = h.config().backfillGate ?? null;
  if (backfill) {
    c.backfill = await backfillGate(h, c, candidate, backfill);
    h.saveCycle();
    if (!c.backfill.passed) return { outcome: 'gate-failed', reason: `backfill: ${c.backfill.reason}` };
  }

  // 3. shadow (needs a champion deciding next to it)
  if (championVersion !== null) {
    await shadowPhase(h, c, candidate, championVersion);
    if (c.shadow?.verdict === 'worse') {
      await setShadow(h, null, `shadow of ${candidate} ended: worse than ${championVersion}`);
      return { outcome: 'shadow-failed', reason: judgePaired(c.shadow.comparison, h.config().shadow.metric, h.config().shadow.minLabeledSamples, h.config().shadow.maxDegradation).reason };
    }
  }

  // 4. approval (a drift report while waiting expires the request: measure again, ask again if still good)
  let approved: ApprovalRecord;
  for (;;) {
    const request = await approvalRequest(h, c, candidate);
    if (request.status === 'approved') {
      approved = request;
      break;
    }
    if (request.status === 'expired') {
      const failed = await reevaluate(h, c, candidate);
      if (failed === null) continue;
      if (c.shadow) await setShadow(h, null, `candidate ${candidate} dropped after drift`);
      if (h.approval.expiredBy) h.setPendingDrift(h.approval.expiredBy);
      return { outcome: 'expired', reason: failed };
    }
    if (c.shadow) await setShadow(h, null, `candidate ${candidate} ${request.status}`);
    return { outcome: request.status === 'rejected' ? 'rejected' : 'auto-rejected', reason: `${request.decidedBy}: ${request.reason}` };
  }

  // 5. promote: one atomic alias flip with the approver in the alias history
  h.setPhase('promoting');
  const approver = approved.decidedBy ?? '';
  const reason = `${approved.reason} (cycle ${c.number}, approval ${approved.requestId})`;
  const promoted = await alias.promoteVersion({ modelName: h.modelName, version: candidate, approver, reason });
  c.promotion = { version: candidate, previousChampion: promoted.previousChampion, approver, reason, at: iso(now()), changed: promoted.changed };
  h.saveCycle();
  h.decisionResults.set(approved.requestId, {
    requestId: approved.requestId,
    version: candidate,
    decision: 'approved',
    decidedBy: approver,
    at: approved.decidedAt ?? c.promotion.at,
    promotion: c.promotion,
  });
  h.setPendingDrift(null); // drift measured against the old champion no longer applies
  await h.refreshChampion();

  // 6. watch
  if (h.config().watch.durationMs > 0 && promoted.previousChampion !== null) {
    const rolledBack = await watchPhase(h, c, candidate, promoted.previousChampion);
    if (rolledBack) return rolledBack;
  }
  return { outcome: 'promoted', reason: `${candidate} promoted by ${approver}` };
}


/**
 * The whole cycle: its steps, a failure turned into the `failed` ending (a shadow this cycle set is cleared; a
 * promotion, if done, stands), the decision updates still waiting answered, and the outcome written on the record.
 */
export async function runCycleSteps(h: CycleHost, c: CycleRecord, cleanup: (fn: () => Promise<void>) => Promise<void> = (fn) => fn()): Promise<Ending> {
  let ending: Ending;
  try {
    ending = await cycleSteps(h, c);
  } catch (err) {
    ending = { outcome: c.promotion ? 'promoted' : 'failed', reason: errorText(err) };
    c.error = errorText(err);
    log.error('learning cycle failed', { modelName: h.modelName, cycle: c.number, phase: h.phase(), error: c.error });
    // Leave no alias half-moved: a shadow this cycle set is cleared (the promotion, if done, stands).
    if (c.shadow || c.watch) {
      try {
        await cleanup(() => setShadow(h, null, `cycle ${c.number} failed: ${c.error}`));
      } catch (cleanupErr) {
        log.error('clearing the shadow alias failed', { modelName: h.modelName, error: errorText(cleanupErr) });
      }
    }
  }
  // Answer decision updates that are still waiting (e.g. the promotion failed for good).
  for (const a of c.approvals) {
    if ((a.status === 'approved' || a.status === 'rejected') && !h.decisionResults.has(a.requestId)) {
      h.decisionResults.set(a.requestId, { requestId: a.requestId, version: a.version, decision: a.status, decidedBy: a.decidedBy ?? '', at: a.decidedAt ?? iso(now()), promotion: c.promotion });
    }
  }
  h.approval.awaiting = null;
  h.approval.decision = null;
  h.approval.expiredBy = null;
  c.outcome = ending.outcome;
  c.outcomeReason = ending.reason;
  c.endedAt = iso(now());
  return ending;
}
