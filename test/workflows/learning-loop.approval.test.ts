// learningLoop approval on the time-skipping test server: validators (allow-list, version), deadline auto-reject,
// approval and rejection by update and by signal (Temporal UI), drift expiring a request, promotion exactly once.
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  approvePromotionSignal,
  approvePromotionUpdate,
  driftDetectedSignal,
  rejectPromotionUpdate,
  requestRetrainUpdate,
  updateConfigUpdate,
  type LearningLoopStatus,
} from '../../workflows/learning-loop/learning-loop.messages';
import { ALICE, BASE_CONFIG, DAY, driftBatch, HOUR, LoopTestContext, quality, refusal, status, until, World } from './learning-loop.harness';

const ctx = new LoopTestContext();
beforeAll(() => ctx.setup());
beforeEach(() => ctx.freshEnv());
afterAll(() => ctx.teardown());

async function worldWithChampion(): Promise<World> {
  return new World({ version: 'fraud-v1', trainedAt: new Date((await ctx.now()) - DAY).toISOString() });
}

async function retrain(h: WorkflowHandle): Promise<void> {
  await h.executeUpdate(requestRetrainUpdate, { args: [{ requestedBy: 'ops@example.com', reason: 'test' }] });
}

const awaitingApproval = (s: LearningLoopStatus) => s.phase === 'awaiting-approval' && s.awaitingApproval !== null;

/** Drives a cycle up to the approval request (shadow ends on its first poll with enough samples). */
async function toApproval(h: WorkflowHandle): Promise<LearningLoopStatus> {
  await retrain(h);
  await until(h, (s) => s.phase === 'shadowing');
  await ctx.env.sleep(6 * HOUR);
  return until(h, awaitingApproval, 'approval request');
}

async function historyEventTypes(h: WorkflowHandle): Promise<string[]> {
  const history = await h.fetchHistory();
  // Each event carries exactly one `<kind>EventAttributes` field, e.g. workflowTaskScheduledEventAttributes.
  return (history.events ?? []).map((e) => Object.entries(e).find(([k, v]) => k.endsWith('EventAttributes') && v)?.[0] ?? 'unknown');
}

/** Workflow task bookkeeping only: no signal, update, activity, timer or marker. */
const WORKFLOW_TASK_EVENTS = ['workflowTaskScheduledEventAttributes', 'workflowTaskStartedEventAttributes', 'workflowTaskCompletedEventAttributes'];

describe('learningLoop approval', () => {
  it('no decision by the deadline → auto-reject; the shadow alias is cleared', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await toApproval(h);
      await ctx.env.sleep(23 * HOUR);
      expect((await status(h)).phase).toBe('awaiting-approval');
      await ctx.env.sleep(2 * HOUR);
      const s = await until(h, (st) => st.history.length === 1);
      expect(s.history[0].outcome).toBe('auto-rejected');
      expect(s.history[0].approvals[0]).toMatchObject({ status: 'auto-rejected', decidedBy: 'learning-loop', via: 'deadline' });
      expect(world.aliases).toEqual({ champion: 'fraud-v1', shadow: null, previous: null });
      expect(world.count('promoteVersion')).toBe(0);
      await until(h, () => world.records.some((r) => r.type === 'approval' && r.approval.status === 'auto-rejected'));
    });
  });

  it('validators: an unauthorized approver and a wrong version are refused without touching history', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      const before = await toApproval(h);
      const eventsBefore = await historyEventTypes(h);

      const unauthorized = await refusal(h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: 'mallory@example.com', reason: 'trust me' }] }));
      expect(unauthorized).toEqual({ type: 'LearningRequestRejected', code: 'APPROVER_NOT_ALLOWED', message: 'mallory@example.com is not an approver of this model' });
      const wrongVersion = await refusal(h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v9', approver: ALICE }] }));
      expect(wrongVersion).toMatchObject({ code: 'VERSION_MISMATCH', message: 'version fraud-v9 is not awaiting approval; the candidate is fraud-v2' });
      const noApprover = await refusal(h.executeUpdate(rejectPromotionUpdate, { args: [{ version: 'fraud-v2', approver: ' ' }] }));
      expect(noApprover.code).toBe('APPROVER_MISSING');

      const eventsAfter = await historyEventTypes(h);
      expect(eventsAfter.slice(0, eventsBefore.length)).toEqual(eventsBefore);
      // The real server drops the workflow task of a rejected update (speculative task); the Java test server keeps an
      // empty one. Either way no update, signal, activity or timer event appears: the refusals changed nothing.
      expect(eventsAfter.slice(eventsBefore.length).filter((t) => !WORKFLOW_TASK_EVENTS.includes(t))).toEqual([]);
      const after = await status(h);
      expect(after.awaitingApproval).toEqual(before.awaitingApproval);
      expect(after.cycle?.approvals).toEqual(before.cycle?.approvals);
      expect(world.count('promoteVersion')).toBe(0);

      // The allow-list is compared case-insensitively and can be changed while waiting.
      await h.executeUpdate(updateConfigUpdate, { args: [{ changedBy: 'admin@example.com', config: { approval: { approvers: ['Carol@Example.com'] } } }] });
      expect((await refusal(h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: ALICE }] }))).code).toBe('APPROVER_NOT_ALLOWED');
      const badConfig = await refusal(h.executeUpdate(updateConfigUpdate, { args: [{ changedBy: 'admin@example.com', config: { approval: { deadline: 'soon' } } }] }));
      expect(badConfig.message).toContain('approval.deadline must be a duration');
      const result = await h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: 'carol@example.com' }] });
      expect(result).toMatchObject({ decision: 'approved', decidedBy: 'carol@example.com' });
    });
  });

  it('approved → the alias flips exactly once with the approver in the history; the watch ends quietly', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      const s0 = await toApproval(h);
      const result = await h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: ' Alice@Example.com ', reason: 'shadow log loss -0.001' }] });
      expect(result).toMatchObject({
        requestId: s0.awaitingApproval?.requestId,
        version: 'fraud-v2',
        decision: 'approved',
        decidedBy: 'Alice@Example.com',
        promotion: { version: 'fraud-v2', previousChampion: 'fraud-v1', approver: 'Alice@Example.com', changed: true },
      });
      // A second approval (update or signal) finds nothing waiting.
      expect((await refusal(h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: ALICE }] }))).code).toBe('NO_PENDING_APPROVAL');
      await h.signal(approvePromotionSignal, { version: 'fraud-v2', approver: ALICE });
      let s = await until(h, (st) => st.refused.length === 1 && st.phase === 'watching');
      expect(s.refused[0]).toMatchObject({ kind: 'approvePromotion', code: 'NO_PENDING_APPROVAL' });

      expect(world.count('promoteVersion')).toBe(1);
      const championMoves = world.aliasHistory.filter((e) => e.alias === 'champion');
      expect(championMoves).toEqual([
        { alias: 'champion', from: 'fraud-v1', to: 'fraud-v2', actor: 'Alice@Example.com', reason: expect.stringContaining('shadow log loss -0.001') },
      ]);
      // During the watch the previous champion shadows the new one.
      expect(world.aliases).toEqual({ champion: 'fraud-v2', shadow: 'fraud-v1', previous: 'fraud-v1' });
      expect(s.champion?.version).toBe('fraud-v2');

      await ctx.env.sleep(12 * HOUR + HOUR);
      s = await until(h, (st) => st.history.length === 1);
      expect(s.history[0]).toMatchObject({ outcome: 'promoted', watch: { polls: 3, verdict: 'not-worse' }, promotion: { approver: 'Alice@Example.com' } });
      expect(world.aliases).toEqual({ champion: 'fraud-v2', shadow: null, previous: 'fraud-v1' });
      expect(world.count('promoteVersion')).toBe(1);
      expect(world.count('rollbackVersion')).toBe(0);
    });
  });

  it('approval from the Temporal UI: a signal with the JSON payload; invalid ones are recorded as refused', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await toApproval(h);
      await h.signal(approvePromotionSignal, { version: 'fraud-v2', approver: 'mallory@example.com' });
      await h.signal(approvePromotionSignal, { version: 'fraud-v7', approver: ALICE });
      let s = await until(h, (st) => st.refused.length === 2);
      expect(s.refused.map((r) => r.code)).toEqual(['VERSION_MISMATCH', 'APPROVER_NOT_ALLOWED']);
      expect(s.phase).toBe('awaiting-approval');
      expect(world.count('promoteVersion')).toBe(0);

      await h.signal(approvePromotionSignal, { version: 'fraud-v2', approver: 'bob@example.com', reason: 'looks good' });
      s = await until(h, (st) => st.phase === 'watching');
      expect(s.cycle?.approvals[0]).toMatchObject({ status: 'approved', decidedBy: 'bob@example.com', via: 'signal', reason: 'looks good' });
      expect(world.aliases.champion).toBe('fraud-v2');
    });
  });

  it('rejected by an approver → cycle ends rejected, shadow cleared', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await toApproval(h);
      const result = await h.executeUpdate(rejectPromotionUpdate, { args: [{ version: 'fraud-v2', approver: ALICE, reason: 'recall on gift cards dropped' }] });
      expect(result).toMatchObject({ decision: 'rejected', decidedBy: ALICE, version: 'fraud-v2' });
      expect(result.promotion).toBeUndefined();
      const s = await until(h, (st) => st.history.length === 1);
      expect(s.history[0]).toMatchObject({ outcome: 'rejected', outcomeReason: `${ALICE}: recall on gift cards dropped` });
      expect(world.aliases).toEqual({ champion: 'fraud-v1', shadow: null, previous: null });
    });
  });

  it('a promotion that fails for good: the cycle ends failed, the approver gets an answer, the shadow is cleared', async () => {
    const world = await worldWithChampion();
    const acts = world.activities();
    world.activities = () => ({
      ...acts,
      promoteVersion: async () => {
        throw ApplicationFailure.create({ type: 'MODEL_VERSION_NOT_FOUND', message: 'fraud@fraud-v2 is not registered', nonRetryable: true });
      },
    });
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await toApproval(h);
      const result = await h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: ALICE }] });
      expect(result).toMatchObject({ decision: 'approved', decidedBy: ALICE });
      expect(result.promotion).toBeUndefined();
      const s = await until(h, (st) => st.history.length === 1);
      expect(s.history[0]).toMatchObject({ outcome: 'failed', phase: 'promoting' });
      expect(s.history[0].error).toContain('fraud@fraud-v2 is not registered');
      expect(s.phase).toBe('idle');
      expect(world.aliases).toEqual({ champion: 'fraud-v1', shadow: null, previous: null });
    });
  });

  it('a new drift report while waiting expires the request; the candidate is re-evaluated and asked again', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      const first = await toApproval(h);
      const firstRequest = first.awaitingApproval?.requestId;
      await ctx.env.sleep(3 * HOUR);
      await h.signal(driftDetectedSignal, driftBatch('drift-77'));
      const s = await until(h, (st) => awaitingApproval(st) && st.awaitingApproval?.requestId !== firstRequest, 'second approval request');
      const c = s.cycle;
      expect(c?.approvals.map((a) => a.status)).toEqual(['expired', 'pending']);
      expect(c?.approvals[0]).toMatchObject({ via: 'drift', reason: expect.stringContaining('drift report drift-77') });
      expect(c?.regates).toHaveLength(1);
      expect(c?.regates[0].passed).toBe(true);
      expect(Date.parse(c?.regates[0].asOf ?? '')).toBeGreaterThan(Date.parse(c?.asOf ?? ''));
      expect(c?.drift.map((d) => d.reportId)).toEqual(['drift-77']);
      // A fresh deadline for the new request.
      expect(Date.parse(s.awaitingApproval?.deadline ?? '')).toBe(Date.parse(c?.approvals[1].requestedAt ?? '') + DAY);
      expect(world.count('evaluateHoldout')).toBe(2);

      const result = await h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: ALICE }] });
      expect(result.requestId).toBe(s.awaitingApproval?.requestId);
      expect(world.aliases.champion).toBe('fraud-v2');
    });
  });

  it('a drift report while waiting, then a failed re-evaluation: the candidate is dropped, the drift stays pending', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await toApproval(h);
      world.holdout = (input) => ({ asOf: input.asOf, holdoutRows: 900, holdoutPositives: 40, datasetHash: 'h2', challenger: quality({ prAuc: 0.4 }), champion: quality({ prAuc: 0.55 }) });
      await h.signal(driftDetectedSignal, driftBatch('drift-78'));
      const s = await until(h, (st) => st.history.length === 1);
      expect(s.history[0]).toMatchObject({ outcome: 'expired', approvals: [{ status: 'expired' }] });
      expect(s.history[0].outcomeReason).toContain('re-evaluation after drift: gate failed');
      expect(s.pending.drift?.reportId).toBe('drift-78');
      expect(world.aliases).toEqual({ champion: 'fraud-v1', shadow: null, previous: null });
      expect((await refusal(h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: ALICE }] }))).code).toBe('NO_PENDING_APPROVAL');
    });
  });
});
