// learningCycle, the loop's cycle as a child workflow, on the time-skipping test server: its own id, history, status
// and LearningPhase; decisions sent to it directly (its Temporal UI page) or forwarded by the loop; drift forwarded;
// cancelled (what parent close policy REQUEST_CANCEL sends when the loop ends) it clears the shadow alias; a
// forwarded decision the cycle could not take ends the waiting update when the request closes.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { cycleConfigSignal, cycleStatusQuery, type LearningCycleStatus } from '../../workflows/learning-cycle/learning-cycle.messages';
import { approvePromotionSignal, approvePromotionUpdate, driftDetectedSignal, requestRetrainUpdate, type LearningLoopStatus } from '../../workflows/learning-loop/learning-loop.messages';
import { ALICE, BASE_CONFIG, DAY, driftBatch, HOUR, LoopTestContext, until, World } from './learning-loop.harness';

const ctx = new LoopTestContext();
beforeAll(() => ctx.setup());
beforeEach(() => ctx.freshEnv());
afterAll(() => ctx.teardown());

async function worldWithChampion(): Promise<World> {
  return new World({ version: 'fraud-v1', trainedAt: new Date((await ctx.now()) - DAY).toISOString() });
}

const awaitingApproval = (s: LearningLoopStatus) => s.phase === 'awaiting-approval' && s.awaitingApproval !== null;

async function toApproval(h: WorkflowHandle): Promise<LearningLoopStatus> {
  await h.executeUpdate(requestRetrainUpdate, { args: [{ requestedBy: 'ops@example.com', reason: 'test' }] });
  await until(h, (s) => s.phase === 'shadowing');
  await ctx.env.sleep(6 * HOUR);
  return until(h, awaitingApproval, 'approval request');
}

async function cycleUntil(h: WorkflowHandle, done: (s: LearningCycleStatus) => boolean, what: string): Promise<LearningCycleStatus> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const s = await h.client.withDeadline(Date.now() + 5_000, () => h.query(cycleStatusQuery)).catch(() => undefined);
    if (s && done(s)) return s;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} not reached in 20000 ms`);
}

const eventNames = async (h: WorkflowHandle) =>
  ((await h.fetchHistory()).events ?? []).flatMap((e) => [
    ...(e.activityTaskScheduledEventAttributes ? [`activity:${e.activityTaskScheduledEventAttributes.activityType?.name}`] : []),
    ...(e.startChildWorkflowExecutionInitiatedEventAttributes ? [`child:${e.startChildWorkflowExecutionInitiatedEventAttributes.workflowType?.name}`] : []),
    ...(e.markerRecordedEventAttributes ? [`marker:${e.markerRecordedEventAttributes.markerName}`] : []),
  ]);

describe('learningCycle child workflow', () => {
  it('runs each cycle in its own workflow `<loop>-cycle-<n>`: own history, status and LearningPhase; the loop mirrors it', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      const s = await toApproval(h);
      expect(s.cycleWorkflowId).toBe(`${h.workflowId}-cycle-1`);
      const child = ctx.env.client.workflow.getHandle(s.cycleWorkflowId as string);
      const cs = await cycleUntil(child, (st) => st.phase === 'awaiting-approval', 'cycle awaiting approval');
      expect(cs).toMatchObject({ modelName: 'fraud', loopWorkflowId: h.workflowId, awaitingApproval: { version: 'fraud-v2', approvers: [ALICE, 'bob@example.com'] } });
      expect(cs.cycle.id).toBe(s.cycle?.id);
      const described = await child.describe();
      expect(described.type).toBe('learningCycle');
      expect(described.parentExecution?.workflowId).toBe(h.workflowId);
      expect(described.searchAttributes.LearningPhase).toEqual(['awaiting-approval']);

      // The steps' activities are in the cycle's history, not the loop's; the loop's holds the patch and the child.
      const loopEvents = await eventNames(h);
      expect(loopEvents).toEqual(expect.arrayContaining(['child:learningCycle', 'marker:core_patch']));
      expect(loopEvents.filter((e) => /trainChallenger|evaluateHoldout|comparePaired|setShadowAlias/.test(e))).toEqual([]);
      expect(await eventNames(child)).toEqual(expect.arrayContaining(['activity:trainChallenger', 'activity:evaluateHoldout', 'activity:setShadowAlias', 'activity:comparePaired']));
    });
  });

  it('approval from the cycle\'s own Temporal UI page (signal on the child) promotes; refused ones are listed in its status', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      const s = await toApproval(h);
      const child = ctx.env.client.workflow.getHandle(s.cycleWorkflowId as string);
      await child.signal(approvePromotionSignal, { version: 'fraud-v2', approver: 'mallory@example.com' });
      expect((await cycleUntil(child, (st) => st.refused.length === 1, 'refusal')).refused[0]).toMatchObject({ code: 'APPROVER_NOT_ALLOWED' });
      await child.signal(approvePromotionSignal, { version: 'fraud-v2', approver: ALICE, reason: 'from the cycle page' });
      await until(h, (st) => st.phase === 'watching');
      expect(world.aliases.champion).toBe('fraud-v2');
      await ctx.env.sleep(12 * HOUR + HOUR);
      const done = await until(h, (st) => st.history.length === 1);
      expect(done.history[0]).toMatchObject({ outcome: 'promoted', promotion: { approver: ALICE } });
      expect(done.history[0].approvals[0]).toMatchObject({ status: 'approved', via: 'signal', decidedBy: ALICE });
      expect(done.cycleWorkflowId).toBeNull();
      expect((await child.describe()).status.name).toBe('COMPLETED');
      await until(h, () => world.records.some((r) => r.type === 'cycle' && r.cycle.outcome === 'promoted'));
    });
  });

  it('a drift event sent to the loop is forwarded: it expires the cycle\'s approval request', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      const s = await toApproval(h);
      const child = ctx.env.client.workflow.getHandle(s.cycleWorkflowId as string);
      await h.signal(driftDetectedSignal, driftBatch('report-9'));
      const cs = await cycleUntil(child, (st) => st.cycle.approvals[0]?.status === 'expired', 'expired approval');
      expect(cs.cycle.drift.map((d) => d.reportId)).toEqual(['report-9']);
      expect(cs.cycle.approvals[0]).toMatchObject({ via: 'drift' });
    });
  });

  it('the loop starts its cycle with parent close policy REQUEST_CANCEL; cancelled, the cycle clears the shadow alias it set', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      const s = await toApproval(h);
      expect(world.aliases.shadow).toBe('fraud-v2');
      const started = ((await h.fetchHistory()).events ?? []).find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)?.startChildWorkflowExecutionInitiatedEventAttributes;
      expect(started?.parentClosePolicy).toBe(temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL);
      // What the real server sends when the loop is terminated or cancelled (the Java test server applies no parent
      // close policy, so the test sends it).
      const child = ctx.env.client.workflow.getHandle(s.cycleWorkflowId as string);
      await child.cancel();
      await child.result();
      expect(world.aliases).toEqual({ champion: 'fraud-v1', shadow: null, previous: null });
      const last = [...world.records].reverse().find((r) => r.type === 'cycle');
      expect(last).toMatchObject({ type: 'cycle', cycle: { outcome: 'failed' } });
      const done = await until(h, (st) => st.history.length === 1);
      expect(done.history[0]).toMatchObject({ outcome: 'failed' });
    });
  });

  it('a decision the loop forwarded but the cycle could not take ends its update when the request closes', async () => {
    const world = await worldWithChampion();
    await ctx.run(world, BASE_CONFIG, async (h) => {
      const s = await toApproval(h);
      const child = ctx.env.client.workflow.getHandle(s.cycleWorkflowId as string);
      // The cycle's allow-list drifts from the loop's (only possible by signalling the cycle directly): the loop
      // accepts Alice's approval, the cycle refuses it, and the request runs into its deadline.
      await child.signal(cycleConfigSignal, { ...s.config, approval: { ...s.config.approval, approvers: ['carol@example.com'] } });
      const update = h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: ALICE }] }).then(
        () => 'answered',
        (err: unknown) => err,
      );
      await cycleUntil(child, (st) => st.refused.length === 1, 'the cycle refused the forwarded decision');
      await ctx.env.sleep(25 * HOUR);
      const outcome = await update;
      expect(outcome).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((outcome as WorkflowUpdateFailedError).cause as Error).message).toBe('the approval request for fraud-v2 ended auto-rejected before the decision reached the cycle');
      expect(world.count('promoteVersion')).toBe(0);
    });
  });
});
