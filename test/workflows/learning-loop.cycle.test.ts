// learningLoop cycle on the time-skipping test server: gate, shadow (min samples / max duration / worse), and the
// post-promotion watch rolling back a regression. Approval is in learning-loop.approval.test.ts.
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  approvePromotionUpdate,
  requestRetrainUpdate,
  type LearningLoopConfigInput,
  type LearningLoopStatus,
} from '../../workflows/learning-loop/learning-loop.messages';
import { ALICE, BASE_CONFIG, DAY, HOUR, LoopTestContext, paired, quality, status, until, World } from './learning-loop.harness';

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

describe('learningLoop cycle', () => {
  it('a worse challenger is blocked at the gate and recorded; no shadow', async () => {
    const world = await worldWithChampion();
    world.holdout = (input) => ({
      asOf: input.asOf,
      holdoutRows: 1000,
      holdoutPositives: 50,
      datasetHash: 'h',
      challenger: quality({ prAuc: 0.52 }),
      champion: quality({ prAuc: 0.6 }),
    });
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await retrain(h);
      const s = await until(h, (st) => st.history.length === 1);
      const c = s.history[0];
      expect(c.outcome).toBe('gate-failed');
      expect(c.candidate).toBe('fraud-v2');
      expect(c.gate).toMatchObject({ passed: false, metric: 'prAuc', championVersion: 'fraud-v1' });
      expect(c.gate?.improvement).toBeCloseTo(-0.08);
      expect(c.outcomeReason).toContain('challenger prAuc 0.5200 vs champion 0.6000: -0.0800 < required +0.0000');
      expect(world.count('setShadowAlias')).toBe(0);
      expect(world.aliases).toEqual({ champion: 'fraud-v1', shadow: null, previous: null });
      await until(h, () => world.records.some((r) => r.type === 'cycle' && r.cycle.outcome === 'gate-failed'));
    });
  });

  it('a better challenger goes to shadow; the shadow ends on the minimum of labelled samples', async () => {
    const world = await worldWithChampion();
    let polls = 0;
    world.compare = (input) => paired(input, ++polls * 60, { logLoss: 0.1 }, { logLoss: 0.095 });
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await retrain(h);
      let s = await until(h, (st) => st.phase === 'shadowing');
      expect(world.aliases.shadow).toBe('fraud-v2');
      expect(s.cycle?.gate?.passed).toBe(true);
      await ctx.env.sleep(6 * HOUR);
      s = await until(h, (st) => st.cycle?.shadow?.polls === 1);
      expect(s.phase).toBe('shadowing');
      expect(s.cycle?.shadow?.comparison?.samples).toBe(60); // shadow metrics so far, visible in the status
      await ctx.env.sleep(6 * HOUR);
      s = await until(h, awaitingApproval);
      expect(s.cycle?.shadow).toMatchObject({ endedBy: 'min-samples', verdict: 'better', polls: 2, version: 'fraud-v2', championVersion: 'fraud-v1' });
      expect(s.cycle?.shadow?.improvement).toBeCloseTo(0.005);
      expect(s.awaitingApproval).toMatchObject({ version: 'fraud-v2', approvers: [ALICE, 'bob@example.com'] });
      expect(Date.parse(s.awaitingApproval?.deadline ?? '')).toBe(Date.parse(s.cycle?.approvals[0].requestedAt ?? '') + DAY);
    });
  });

  it('the shadow ends at its maximum duration when labels stay scarce (inconclusive → approval)', async () => {
    const world = await worldWithChampion();
    world.compare = (input) => paired(input, 10, {}, {});
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await retrain(h);
      await until(h, (st) => st.phase === 'shadowing');
      await ctx.env.sleep(2 * DAY - HOUR);
      expect((await status(h)).phase).toBe('shadowing');
      await ctx.env.sleep(2 * HOUR);
      const s = await until(h, awaitingApproval);
      expect(s.cycle?.shadow).toMatchObject({ endedBy: 'max-duration', verdict: 'inconclusive', polls: 8 });
    });
  });

  it('a shadow clearly worse than the champion fails the cycle and clears the alias', async () => {
    const world = await worldWithChampion();
    world.compare = (input) => paired(input, 300, { logLoss: 0.1 }, { logLoss: 0.13 });
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await retrain(h);
      await until(h, (st) => st.phase === 'shadowing');
      await ctx.env.sleep(6 * HOUR);
      const s = await until(h, (st) => st.history.length === 1);
      expect(s.history[0]).toMatchObject({ outcome: 'shadow-failed', shadow: { verdict: 'worse' } });
      expect(world.aliases.shadow).toBeNull();
    });
  });

  it('a training that fails for good ends the cycle as failed; the loop keeps watching', async () => {
    const world = await worldWithChampion();
    world.train = () => {
      throw ApplicationFailure.create({ type: 'TRAINING_INPUT_INVALID', message: 'non-finite feature at row 7, col 2', nonRetryable: true });
    };
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await retrain(h);
      const s = await until(h, (st) => st.history.length === 1);
      expect(s.history[0]).toMatchObject({ outcome: 'failed', phase: 'retraining' });
      expect(s.history[0].error).toContain('non-finite feature at row 7, col 2');
      expect(s.phase).toBe('idle');
      expect(s.cooldownUntil).not.toBeNull();
      expect(world.count('trainChallenger')).toBe(1);
    });
  });

  it('a regression after promotion rolls back to the previous champion automatically, recorded', async () => {
    const world = await worldWithChampion();
    const config: LearningLoopConfigInput = { ...BASE_CONFIG };
    await ctx.run(world, config, async (h) => {
      await toApproval(h);
      // From now on the comparison is the watch: primary = new champion fraud-v2, secondary = previous fraud-v1.
      world.compare = (input) =>
        input.primaryVersion === 'fraud-v2' ? paired(input, 120, { logLoss: 0.15 }, { logLoss: 0.1 }) : paired(input, 200, { logLoss: 0.1 }, { logLoss: 0.099 });
      await h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: ALICE }] });
      await until(h, (st) => st.phase === 'watching');
      await ctx.env.sleep(4 * HOUR);
      // The loop records the cycle, then refreshes its champion from the registry: wait for both.
      const s = await until(h, (st) => st.history.length === 1 && st.champion?.version !== 'fraud-v2');
      const c = s.history[0];
      expect(c.outcome).toBe('rolled-back');
      expect(c.rollback).toMatchObject({ from: 'fraud-v2', to: 'fraud-v1', changed: true });
      expect(c.rollback?.reason).toContain('regression beyond 0.02');
      expect(c.watch).toMatchObject({ verdict: 'worse', polls: 1 });
      expect(world.aliases).toEqual({ champion: 'fraud-v1', shadow: null, previous: 'fraud-v2' });
      expect(world.count('rollbackVersion')).toBe(1);
      expect(s.champion?.version).toBe('fraud-v1');
    });
  });
});
