// The learning loop's optional backfill gate on the time-skipping test server: with `backfillGate` configured, a
// challenger that passed the holdout gate is replayed over the last N hours by a child replay job before shadow; a
// challenger worse than the champion's decisions of the time beyond the tolerance ends the cycle at the gate.
import { bundleWorkflowCode } from '@temporalio/worker';
import type { LearningActivities } from '../../activities/learning.activities';
import { requestRetrainUpdate, type LearningLoopConfigInput } from '../../workflows/learning-loop/learning-loop.messages';
import { BASE_CONFIG, DAY, HOUR, LoopTestContext, until, World } from './learning-loop.harness';
import { FakeReplayLog } from './replay-fakes';

const ctx = new LoopTestContext();
beforeAll(async () => {
  // The loop and its child replay job in one bundle, as the worker serves them.
  ctx.bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, log: () => undefined } });
});
beforeEach(() => ctx.freshEnv());
afterAll(() => ctx.teardown());

/** The harness's world plus in-memory replay activities. */
class ReplayWorld extends World {
  constructor(
    readonly replay: FakeReplayLog,
    champion: { version: string; trainedAt: string },
  ) {
    super(champion);
  }

  override activities(): LearningActivities {
    return { ...super.activities(), ...this.replay.activities() } as LearningActivities;
  }
}

const GATED: LearningLoopConfigInput = { ...BASE_CONFIG, backfillGate: { hours: 6, maxAucDrop: 0.02, minLabeled: 50, topic: 'payments.initiated' } };

async function world(replayedAuc: number, championAuc: number): Promise<ReplayWorld> {
  const log = new FakeReplayLog([{ partition: 0, start: 0, end: 120 }], { rows: 120, replayedAuc, championAuc });
  return new ReplayWorld(log, { version: 'fraud-v1', trainedAt: new Date((await ctx.now()) - DAY).toISOString() });
}

describe('learningLoop backfill gate', () => {
  it('a challenger worse on the replayed history than the champion was fails the gate before shadow', async () => {
    const w = await world(0.84, 0.9);
    await ctx.run(w, GATED, async (h) => {
      const startedAt = await ctx.now();
      await h.executeUpdate(requestRetrainUpdate, { args: [{ requestedBy: 'ops@example.com', reason: 'test' }] });
      const s = await until(h, (st) => st.history.length === 1, 'cycle end');
      const c = s.history[0];
      expect(c.outcome).toBe('gate-failed');
      expect(c.gate?.passed).toBe(true);
      expect(c.backfill).toMatchObject({ passed: false, rows: 120, challengerAuc: 0.84, championAuc: 0.9, maxAucDrop: 0.02, replayId: `replay-gate-${c.id}` });
      expect(c.backfill?.aucDelta).toBeCloseTo(-0.06);
      expect(c.outcomeReason).toMatch(/^backfill: challenger AUC 0\.8400 vs champion at the time 0\.9000 on 120 payments: -0\.0600 < -0\.02$/);
      // The child replayed the last 6 hours of the topic with the candidate, and nothing went to shadow.
      expect(Date.parse(c.backfill?.to ?? '') - Date.parse(c.backfill?.from ?? '')).toBe(6 * HOUR);
      expect(Date.parse(c.backfill?.to ?? '')).toBeGreaterThanOrEqual(startedAt);
      expect(w.replay.plans).toEqual([{ topic: 'payments.initiated', from: { time: c.backfill?.from }, to: { time: c.backfill?.to } }]);
      expect(w.replay.decisions.size).toBe(120);
      expect(w.count('setShadowAlias')).toBe(0);
      expect(w.aliases.shadow).toBeNull();
    });
  });

  it('a challenger within the tolerance goes on to shadow with the backfill result recorded', async () => {
    const w = await world(0.89, 0.9);
    await ctx.run(w, GATED, async (h) => {
      await h.executeUpdate(requestRetrainUpdate, { args: [{ requestedBy: 'ops@example.com', reason: 'test' }] });
      const s = await until(h, (st) => st.phase === 'shadowing', 'shadow');
      expect(s.cycle?.backfill).toMatchObject({ passed: true, rows: 120 });
      expect(s.cycle?.backfill?.reason).toContain('(tolerance -0.02)');
      expect(w.aliases.shadow).toBe('fraud-v2');
    });
  });

  it('without the option no replay runs (default off)', async () => {
    const w = await world(0.5, 0.9);
    await ctx.run(w, BASE_CONFIG, async (h) => {
      await h.executeUpdate(requestRetrainUpdate, { args: [{ requestedBy: 'ops@example.com', reason: 'test' }] });
      const s = await until(h, (st) => st.phase === 'shadowing', 'shadow');
      expect(s.cycle?.backfill).toBeUndefined();
      expect(w.replay.plans).toHaveLength(0);
    });
  });
});
