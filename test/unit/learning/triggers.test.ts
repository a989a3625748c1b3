import { resolveLearningConfig } from '../../../workflows/learning/config';
import { evaluateTriggers, scheduleDueAtMs, type TriggerContext } from '../../../workflows/learning/triggers';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2025-03-01T00:00:00.000Z');

function ctx(overrides: Partial<TriggerContext> = {}): TriggerContext {
  return {
    nowMs: T0,
    config: resolveLearningConfig({ triggers: { volumeLabels: 100, maxChampionAge: '7d', cooldown: '6h' } }).config,
    labelsSinceTraining: 0,
    pendingManual: null,
    pendingDrift: null,
    championTrainedAtMs: T0,
    lastTrainingAtMs: null,
    loopStartedAtMs: T0,
    cooldownUntilMs: null,
    cycleRunning: false,
    ...overrides,
  };
}

const manual = { requestedBy: 'ops', reason: 'why not', force: false, at: '' };
const drift = { source: 'event' as const, reportId: 'r1', datasetDrift: true, share: 0.5, driftedFeatures: ['amount'], at: '' };

describe('trigger evaluation', () => {
  it('nothing due: wakes up when the schedule falls due', () => {
    expect(evaluateTriggers(ctx())).toEqual({ due: [], fire: null, blockedBy: null, wakeAtMs: T0 + 7 * DAY });
  });

  it('volume at the threshold, not below', () => {
    expect(evaluateTriggers(ctx({ labelsSinceTraining: 99 })).fire).toBeNull();
    expect(evaluateTriggers(ctx({ labelsSinceTraining: 100 })).fire).toMatchObject({ kind: 'volume', reason: '100 new labels since the last training (threshold 100)' });
  });

  it('volume 0 disables the volume trigger; null max age disables the schedule', () => {
    const config = resolveLearningConfig({ triggers: { volumeLabels: 0, maxChampionAge: null } }).config;
    expect(evaluateTriggers(ctx({ config, labelsSinceTraining: 1e6, nowMs: T0 + 400 * DAY }))).toEqual({ due: [], fire: null, blockedBy: null, wakeAtMs: null });
  });

  it('schedule: from the newer of champion training and the last training; from the loop start without either', () => {
    expect(scheduleDueAtMs(ctx({ championTrainedAtMs: T0, lastTrainingAtMs: T0 + 2 * DAY }))).toBe(T0 + 9 * DAY);
    expect(scheduleDueAtMs(ctx({ championTrainedAtMs: null, lastTrainingAtMs: null, loopStartedAtMs: T0 + DAY }))).toBe(T0 + 8 * DAY);
    expect(evaluateTriggers(ctx({ nowMs: T0 + 7 * DAY - 1 })).fire).toBeNull();
    expect(evaluateTriggers(ctx({ nowMs: T0 + 7 * DAY })).fire).toMatchObject({ kind: 'schedule', reason: 'champion was trained 7d ago (max age 7d)' });
    expect(evaluateTriggers(ctx({ nowMs: T0 + 9 * DAY, championTrainedAtMs: null })).fire?.reason).toBe('no model trained since the loop started 9d ago (max age 7d)');
  });

  it('priority: manual, drift, volume, schedule', () => {
    const ev = evaluateTriggers(ctx({ nowMs: T0 + 8 * DAY, labelsSinceTraining: 500, pendingDrift: drift, pendingManual: manual }));
    expect(ev.due.map((t) => t.kind)).toEqual(['manual', 'drift', 'volume', 'schedule']);
    expect(ev.fire?.kind).toBe('manual');
    expect(ev.due[1].reason).toBe('drift event: 50% of features drifted (amount)');
  });

  it('cooldown: due triggers wait and the loop wakes when it ends; a forced manual request skips it', () => {
    const cooling = ctx({ labelsSinceTraining: 100, cooldownUntilMs: T0 + 2 * HOUR });
    expect(evaluateTriggers(cooling)).toMatchObject({ fire: null, blockedBy: 'cooldown', wakeAtMs: T0 + 2 * HOUR });
    expect(evaluateTriggers({ ...cooling, nowMs: T0 + 2 * HOUR }).fire?.kind).toBe('volume');
    const forced = evaluateTriggers({ ...cooling, pendingManual: { ...manual, force: true } });
    expect(forced).toMatchObject({ fire: { kind: 'manual', bypassesCooldown: true }, blockedBy: null });
  });

  it('one cycle at a time: nothing fires while a cycle runs, not even a forced request', () => {
    const ev = evaluateTriggers(ctx({ cycleRunning: true, pendingManual: { ...manual, force: true }, labelsSinceTraining: 100 }));
    expect(ev).toMatchObject({ fire: null, blockedBy: 'cycle-running' });
    expect(ev.due).toHaveLength(2);
  });
});
