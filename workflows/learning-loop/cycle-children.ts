// The loop's cycles as learningCycle child workflows (cycles started since LEARNING_PATCHES.cycleChild): one at a time,
// id `<loop id>-cycle-<n>`. The loop forwards decisions, drift and configuration changes to the running cycle and
// mirrors its progress (the status query, the approval validators and the decision updates' answers read it).
import { log, ParentClosePolicy, setHandler, startChild, type ChildWorkflowHandle } from '@temporalio/workflow';
import { cycleProgressSignal, LEARNING_CYCLE_WORKFLOW_TYPE, learningCycleWorkflowId } from '../learning-cycle/learning-cycle.messages';
import type { learningCycle } from '../learning-cycle/learning-cycle.workflow';
import { errorText, iso, now, type ApprovalState } from '../learning-cycle/steps';
import type { PromotionDecisionResult } from './learning-loop.messages';
import type { ChampionInfo, CycleRecord, LearningLoopState, LearningPhase } from '../learning/types';

type CycleChild = ChildWorkflowHandle<typeof learningCycle>;

export interface CycleChildContext {
  s: LearningLoopState;
  workflowId: string;
  current(): CycleRecord | null;
  setCurrent(c: CycleRecord): void;
  setPhase(phase: LearningPhase): void;
  setChampion(champion: ChampionInfo | null): void;
  /** Persists `current` from the loop (only while no child runs: a child writes its own records). */
  saveCycle(): void;
  approval: ApprovalState;
  decisionResults: Map<string, PromotionDecisionResult>;
  closedRequests: Map<string, string>;
}

export function createCycleChildren(ctx: CycleChildContext) {
  const { s, workflowId, approval, decisionResults, closedRequests } = ctx;

  /** A request the cycle ended without an approval or rejection (drift, deadline) answers no decision update. */
  function noteClosed(cycle: CycleRecord): void {
    for (const a of cycle.approvals) {
      if ((a.status === 'expired' || a.status === 'auto-rejected') && !decisionResults.has(a.requestId)) closedRequests.set(a.requestId, a.status);
    }
  }
  const modelName = s.modelName;
  let cycleChild: CycleChild | null = null;

  /** Signals to the running cycle: a failure (the cycle just ended) is logged; the cycle's own record is the truth. */
  function send(signal: (child: CycleChild) => Promise<void>): void {
    if (cycleChild) signal(cycleChild).catch((err: unknown) => log.warn('signal to the learning cycle failed', { modelName, error: errorText(err) }));
  }

  // The running cycle child's snapshot: the status shows it, the approval handlers validate against it.
  setHandler(cycleProgressSignal, (p) => {
    const current = ctx.current();
    if (!current || !cycleChild || p.cycle.id !== current.id) return;
    if (p.cycle.promotion && !current.promotion) s.pendingDrift = null; // drift measured against the old champion
    ctx.setCurrent(p.cycle);
    ctx.setPhase(p.phase);
    if (p.awaiting?.requestId !== approval.awaiting?.requestId) {
      approval.decision = null;
      approval.expiredBy = null;
    }
    approval.awaiting = p.awaiting;
    for (const d of p.decisions) decisionResults.set(d.requestId, d);
    noteClosed(p.cycle);
    ctx.setChampion(p.champion);
  });

  /**
   * The cycle as a learningCycle child workflow, one at a time, id `<loop id>-cycle-<n>`. Parent close policy
   * REQUEST_CANCEL: the loop closes only between cycles (continue-as-new) or when an operator ends it, and a cycle must
   * not outlive its loop (it would promote unwatched, and a new loop would start a second cycle next to it); cancelled,
   * it clears the shadow alias it set. Returns the final record.
   */
  async function run(c: CycleRecord): Promise<CycleRecord> {
    const cycleWorkflowId = learningCycleWorkflowId(workflowId, c.number);
    let final = c;
    try {
      const child = await startChild<typeof learningCycle>(LEARNING_CYCLE_WORKFLOW_TYPE, {
        workflowId: cycleWorkflowId,
        args: [{ loopWorkflowId: workflowId, cycle: c, config: s.config, champion: s.champion }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `${modelName} cycle ${c.number}: ${c.trigger.kind} (${c.trigger.reason})`,
      });
      cycleChild = child;
      const result = await child.result();
      final = result.cycle;
      if (result.pendingDrift) s.pendingDrift = result.pendingDrift;
    } catch (err) {
      // The steps' own failures end the cycle `failed` inside the child; this is the child workflow itself failing.
      final = ctx.current() ?? c;
      final.error = errorText(err);
      final.outcome = final.promotion ? 'promoted' : 'failed';
      final.outcomeReason = final.error;
      final.endedAt = iso(now());
      cycleChild = null;
      ctx.setCurrent(final);
      ctx.saveCycle();
      log.error('learning cycle workflow failed', { modelName, cycle: c.number, workflowId: cycleWorkflowId, error: final.error });
    }
    cycleChild = null;
    // Answer decision updates still waiting (the child's last progress normally did).
    for (const a of final.approvals) {
      if ((a.status === 'approved' || a.status === 'rejected') && !decisionResults.has(a.requestId)) {
        decisionResults.set(a.requestId, { requestId: a.requestId, version: a.version, decision: a.status, decidedBy: a.decidedBy ?? '', at: a.decidedAt ?? iso(now()), promotion: final.promotion });
      }
    }
    noteClosed(final);
    approval.awaiting = null;
    approval.decision = null;
    approval.expiredBy = null;
    return final;
  }

  return { run, send, running: (): CycleChild | null => cycleChild };
}
