// learningLoop triggers on the time-skipping test server: schedule, volume (idempotent label counting), cooldown,
// drift (periodic check and external event), manual requests, and continue-as-new keeping the state.
import {
  driftDetectedSignal,
  labelsSignal,
  requestRetrainUpdate,
  retrainRequestedSignal,
  retrainSignal,
  statusQuery,
} from '../../workflows/learning-loop/learning-loop.messages';
import type { WorkflowHandle } from '@temporalio/client';
import type { LearningRecord } from '../../workflows/learning/types';
import { BASE_CONFIG, DAY, driftBatch, HOUR, labelBatch, LoopTestContext, MINUTE, MODEL, refusal, retrainBatch, status, until, World } from './learning-loop.harness';

const ctx = new LoopTestContext();
beforeAll(() => ctx.setup());
beforeEach(() => ctx.freshEnv());
afterAll(() => ctx.teardown());

/** Ends every cycle right after retraining: these tests are about what starts a cycle. */
function quickCycles(world: World): World {
  world.train = () => ({ status: 'insufficient-data', rows: 3, positives: 0, minRows: 500, minPositives: 10 });
  return world;
}

async function eventuallyNewRun(h: WorkflowHandle, oldRunId: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await h.describe()).runId === oldRunId) {
    if (Date.now() > deadline) throw new Error('the loop did not continue as new in 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const triggerRows = (records: LearningRecord[]) => records.flatMap((r) => (r.type === 'trigger' ? [r.trigger] : []));

describe('learningLoop triggers', () => {
  it('schedule: retrains once the champion is older than the max age, not before', async () => {
    const start = await ctx.now();
    const world = quickCycles(new World({ version: 'fraud-v1', trainedAt: new Date(start).toISOString() }));
    await ctx.run(world, { ...BASE_CONFIG, triggers: { volumeLabels: 0, maxChampionAge: '7d', cooldown: '1h' } }, async (h) => {
      const s0 = await until(h, (s) => s.champion?.version === 'fraud-v1');
      expect(Date.parse(s0.scheduleDueAt ?? '')).toBe(start + 7 * 86_400_000);

      await ctx.env.sleep(6 * DAY + 23 * HOUR);
      expect(world.count('trainChallenger')).toBe(0);
      expect((await status(h)).history).toHaveLength(0);

      await ctx.env.sleep(2 * HOUR);
      const s = await until(h, (st) => st.history.length === 1, 'first cycle');
      expect(world.count('trainChallenger')).toBe(1);
      expect(s.history[0].trigger.kind).toBe('schedule');
      expect(s.history[0].trigger.reason).toBe('champion was trained 7d ago (max age 7d)');
      expect(s.history[0].outcome).toBe('insufficient-data');
      // The clock restarts at the training: the next scheduled retrain is 7 days after it.
      expect(Date.parse(s.scheduleDueAt ?? '')).toBe(Date.parse(s.history[0].asOf) + 7 * 86_400_000);
      expect(triggerRows(world.records).map((t) => [t.kind, t.outcome])).toEqual([['schedule', 'started']]);
    });
  });

  it('volume: fires at N new labels; re-delivered labels are counted once', async () => {
    const world = quickCycles(new World());
    await ctx.run(world, { ...BASE_CONFIG, triggers: { volumeLabels: 5, maxChampionAge: null, cooldown: '1h' } }, async (h) => {
      const first = labelBatch([{ paymentId: 'p1' }, { paymentId: 'p2' }, { paymentId: 'p3', label: 'fraud' }]);
      await h.signal(labelsSignal, first);
      await until(h, (s) => s.labels.total === 3);
      // The bridge re-delivers the same events (at-least-once) and one payment's label event twice in one batch.
      await h.signal(labelsSignal, first);
      await h.signal(labelsSignal, labelBatch([{ paymentId: 'p4', eventId: 'e-p4' }, { paymentId: 'p4', eventId: 'e-p4' }]));
      let s = await until(h, (st) => st.labels.total === 4 && st.labels.queued === 0);
      expect(s.labels.duplicates).toBe(4);
      expect(s.history).toHaveLength(0);
      // A re-delivery whose event id the loop has forgotten is still caught by the label store (same payment).
      await h.signal(labelsSignal, labelBatch([{ paymentId: 'p1', eventId: 'forgotten-id' }]));
      s = await until(h, (st) => st.labels.duplicates === 5);
      expect(s.labels.total).toBe(4);
      expect(s.history).toHaveLength(0);

      await h.signal(labelsSignal, labelBatch([{ paymentId: 'p5' }]));
      s = await until(h, (st) => st.history.length === 1, 'volume cycle');
      expect(s.history[0].trigger.kind).toBe('volume');
      expect(s.history[0].trigger.reason).toBe('5 new labels since the last training (threshold 5)');
      expect(s.labels.sinceLastTraining).toBe(0);
      expect(world.labels.size).toBe(5);
    });
  });

  it('cooldown: a second trigger inside the window is suppressed (recorded) and fires when it ends', async () => {
    const world = quickCycles(new World());
    await ctx.run(world, { ...BASE_CONFIG, triggers: { volumeLabels: 2, maxChampionAge: null, cooldown: '6h' } }, async (h) => {
      await h.signal(labelsSignal, labelBatch([{}, {}]));
      let s = await until(h, (st) => st.history.length === 1);
      const firstEnded = Date.parse(s.history[0].endedAt ?? '');
      expect(Date.parse(s.cooldownUntil ?? '')).toBe(firstEnded + 6 * 3_600_000);

      await h.signal(labelsSignal, labelBatch([{}, {}, {}]));
      s = await until(h, (st) => st.triggers[0]?.outcome === 'suppressed-cooldown');
      expect(s.triggers[0].kind).toBe('volume');
      expect(s.triggers[0].reason).toContain(`cooldown until ${s.cooldownUntil}`);
      // More labels in the same window do not record the suppression again.
      await h.signal(labelsSignal, labelBatch([{}]));
      await until(h, (st) => st.labels.total === 6);
      await ctx.env.sleep(5 * HOUR);
      s = await status(h);
      expect(s.history).toHaveLength(1);
      expect(s.triggers.filter((t) => t.outcome === 'suppressed-cooldown')).toHaveLength(1);

      await ctx.env.sleep(HOUR + MINUTE);
      s = await until(h, (st) => st.history.length === 2, 'second cycle after cooldown');
      expect(s.history[0].trigger.kind).toBe('volume');
      expect(Date.parse(s.history[0].startedAt)).toBeGreaterThanOrEqual(firstEnded + 6 * 3_600_000);
      expect(triggerRows(world.records).map((t) => t.outcome)).toEqual(['started', 'suppressed-cooldown', 'started']);
    });
  });

  it('manual: a request inside the cooldown waits, a forced one does not; Kafka requests are deduplicated', async () => {
    const world = quickCycles(new World());
    await ctx.run(world, { ...BASE_CONFIG, triggers: { volumeLabels: 0, maxChampionAge: null, cooldown: '6h' } }, async (h) => {
      const first = await h.executeUpdate(requestRetrainUpdate, { args: [{ requestedBy: 'ops@example.com', reason: 'new segment' }] });
      expect(first.status).toBe('starting');
      let s = await until(h, (st) => st.history.length === 1);
      expect(s.history[0].trigger).toMatchObject({ kind: 'manual', reason: 'requested by ops@example.com: new segment' });

      const queued = await h.executeUpdate(requestRetrainUpdate, { args: [{ requestedBy: 'ops@example.com', reason: 'again' }] });
      expect(queued).toEqual({ status: 'queued-cooldown', cooldownUntil: s.cooldownUntil });
      await until(h, (st) => st.triggers[0]?.outcome === 'suppressed-cooldown');
      expect((await status(h)).history).toHaveLength(1);

      // Kafka retrain events join the pending request; a re-delivered event id is ignored.
      const event = retrainBatch('team-risk', 'merchant onboarding', 'evt-retrain-1');
      await h.signal(retrainRequestedSignal, event);
      await h.signal(retrainRequestedSignal, event);
      s = await until(h, (st) => st.pending.manual?.reason.includes('merchant onboarding') === true);
      expect(s.triggers.filter((t) => t.outcome === 'merged')).toHaveLength(1);

      // The Temporal UI signal with force skips the cooldown.
      await h.signal(retrainSignal, { requestedBy: 'alice@example.com', reason: 'urgent', force: true });
      s = await until(h, (st) => st.history.length === 2);
      expect(s.history[0].trigger.detail).toMatchObject({ requestedBy: 'ops@example.com', force: true });
      expect(s.history[0].trigger.reason).toContain('alice@example.com: urgent');

      // Invalid requests: the update is refused up front, the signal is recorded as refused.
      const refused = await refusal(h.executeUpdate(requestRetrainUpdate, { args: [{ requestedBy: '  ', reason: 'x' }] }));
      expect(refused).toMatchObject({ type: 'LearningRequestRejected', code: 'REQUESTER_MISSING' });
      await h.signal(retrainSignal, { reason: 'who am I' } as never);
      s = await until(h, (st) => st.refused.length === 1);
      expect(s.refused[0]).toMatchObject({ kind: 'retrain', code: 'REQUESTER_MISSING' });
      expect(s.pending.manual).toBeNull();
    });
  });

  it('drift: the periodic check triggers on a drifted window', async () => {
    const start = await ctx.now();
    const world = quickCycles(new World({ version: 'fraud-v1', trainedAt: new Date(start).toISOString() }));
    let checks = 0;
    world.drift = (input) => {
      checks++;
      const drifted = checks >= 3;
      return {
        status: 'checked',
        champion: world.championInfo(),
        finding: { source: 'periodic', reportId: `r${checks}`, datasetDrift: drifted, share: drifted ? 0.7 : 0.1, driftedFeatures: drifted ? ['amount', 'log_amount'] : [], at: input.asOf, championVersion: 'fraud-v1', rows: 500 },
      };
    };
    await ctx.run(world, { ...BASE_CONFIG, drift: { checkInterval: '1h', window: '6h', minRows: 100 } }, async (h) => {
      await ctx.env.sleep(2 * HOUR + 30 * MINUTE);
      let s = await status(h);
      expect(checks).toBe(2);
      expect(s.lastDrift).toMatchObject({ reportId: 'r2', datasetDrift: false });
      expect(s.history).toHaveLength(0);

      await ctx.env.sleep(HOUR);
      s = await until(h, (st) => st.history.length === 1, 'drift cycle');
      expect(s.history[0].trigger.kind).toBe('drift');
      expect(s.history[0].trigger.reason).toBe('periodic drift check: 70% of features drifted (amount, log_amount)');
      expect(s.history[0].trigger.detail).toMatchObject({ source: 'periodic', reportId: 'r3' });
    });
  });

  it('drift: an external drift event triggers; a re-delivered event and one without dataset drift do not', async () => {
    const world = quickCycles(new World());
    await ctx.run(world, BASE_CONFIG, async (h) => {
      await h.signal(driftDetectedSignal, driftBatch('ext-1', { datasetDrift: false, share: 0.2 }));
      let s = await until(h, (st) => st.triggers[0]?.outcome === 'noted');
      expect(s.history).toHaveLength(0);

      const event = driftBatch('ext-2', { eventId: 'evt-drift-ext-2' });
      await h.signal(driftDetectedSignal, event);
      s = await until(h, (st) => st.history.length === 1);
      expect(s.history[0].trigger).toMatchObject({ kind: 'drift', detail: { source: 'event', reportId: 'ext-2', eventId: 'evt-drift-ext-2' } });

      await ctx.env.sleep(2 * HOUR); // past the cooldown
      await h.signal(driftDetectedSignal, event);
      await h.signal(labelsSignal, labelBatch([{}])); // a later input, to be sure the re-delivery was handled
      s = await until(h, (st) => st.labels.total === 1);
      expect(s.history).toHaveLength(1);
      expect(s.pending.drift).toBeNull();
    });
  });

  it('continue-as-new after K cycles keeps the state', async () => {
    const world = quickCycles(new World());
    const config = { ...BASE_CONFIG, triggers: { volumeLabels: 3, maxChampionAge: null, cooldown: '1h' }, continueAsNew: { afterCycles: 1 } };
    await ctx.run(world, config, async (h) => {
      const first = await status(h);
      await h.signal(labelsSignal, labelBatch([{ eventId: 'keep-1' }, {}, {}]));
      // Describe (no workflow task) until the new run exists, then query it: a query that reaches the closing run is
      // never answered and holds the test server's time-skipping lock, so the later sleep ran in real time (~3 min).
      await eventuallyNewRun(h, first.runId);
      await until(h, (st) => st.runId !== first.runId && st.runs === 2, 'continued as new');
      await h.signal(labelsSignal, labelBatch([{}])); // one label towards the next cycle, received by the new run
      const after = await until(h, (st) => st.labels.total === 4);
      expect(after.history).toHaveLength(1);
      expect(after.history[0]).toMatchObject({ number: 1, outcome: 'insufficient-data' });
      expect(after.labels).toMatchObject({ total: 4, atLastTraining: 3, sinceLastTraining: 1 });
      expect(Date.parse(after.cooldownUntil ?? '')).toBe(Date.parse(after.history[0].endedAt ?? '') + HOUR);
      expect(after.triggers[0].outcome).toBe('started');
      expect(after.config.triggers.volumeLabels).toBe(3);
      expect(after.cyclesThisRun).toBe(0);

      // The new run still knows the events it has seen and counts on from where the old one stopped.
      await h.signal(labelsSignal, labelBatch([{ eventId: 'keep-1', paymentId: 'other' }, {}, {}]));
      await until(h, (st) => st.labels.total === 6 && st.triggers[0].outcome === 'suppressed-cooldown');
      await ctx.env.sleep(HOUR);
      const next = await until(h, (st) => st.history.length === 2 && st.history[0].number === 2, 'second cycle in the new run');
      expect(next.history[0].trigger.reason).toBe('3 new labels since the last training (threshold 3)');
      const described = await h.describe();
      expect(described.runId).not.toBe(first.runId);
      expect(await h.query(statusQuery)).toMatchObject({ modelName: MODEL });
    });
  });
});
