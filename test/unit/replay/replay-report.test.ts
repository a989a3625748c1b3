// The replay report's arithmetic: quality of scores/decisions against labels, replayed vs champion on the same rows,
// decision changes by reason, and the backfill gate's judgement.
import { championVersions, decisionChanges, pairedQuality, quality, type ReportRow } from '../../../src/replay/report';
import { resolveLearningConfig } from '../../../workflows/learning/config';
import { judgeBackfill } from '../../../workflows/replay-job/gate';
import type { ScoreReport } from '../../../schemas/replay';

const champ = (decision: 'APPROVE' | 'FLAG', score: number, extra: Partial<NonNullable<ReportRow['champion']>> = {}) => ({
  version: 'fraud-v1',
  score,
  decision,
  fallback: false,
  reasons: [{ feature: 'amount', contribution: 1.2 }],
  ...extra,
});

describe('replay report metrics', () => {
  it('AUC from scores, precision and recall from decisions', () => {
    const q = quality([
      { score: 0.9, decision: 'FLAG', label: 'fraud' },
      { score: 0.8, decision: 'FLAG', label: 'legit' },
      { score: 0.7, decision: 'APPROVE', label: 'fraud' },
      { score: 0.1, decision: 'APPROVE', label: 'legit' },
    ]);
    // positives {0.9, 0.7} vs negatives {0.8, 0.1}: pairs won 0.9>0.8, 0.9>0.1, 0.7>0.1 → 3/4
    expect(q.rocAuc).toBeCloseTo(0.75);
    expect(q.precision).toBeCloseTo(0.5);
    expect(q.recall).toBeCloseTo(0.5);
    expect(q).toMatchObject({ rows: 4, positives: 2, flagged: 2 });
  });

  it('undefined measures are null, not 0 or NaN', () => {
    const q = quality([{ score: 0.2, decision: 'APPROVE', label: 'legit' }]);
    expect(q).toEqual({ rows: 1, positives: 0, rocAuc: null, precision: null, recall: null, flagged: 0 });
    expect(quality([])).toMatchObject({ rows: 0, rocAuc: null });
  });

  it('replayed vs champion on the same rows only, with deltas', () => {
    const rows: ReportRow[] = [
      { paymentId: 'a', score: 0.95, decision: 'FLAG', reasons: [], champion: champ('APPROVE', 0.4), label: 'fraud' },
      { paymentId: 'b', score: 0.1, decision: 'APPROVE', reasons: [], champion: champ('FLAG', 0.9), label: 'legit' },
      { paymentId: 'c', score: 0.2, decision: 'APPROVE', reasons: [], champion: champ('APPROVE', 0.3), label: 'legit' },
      { paymentId: 'd', score: 0.9, decision: 'FLAG', reasons: [], champion: champ('FLAG', 0.95), label: 'fraud' },
      // no label now / no decision then: left out of the paired comparison
      { paymentId: 'e', score: 0.99, decision: 'FLAG', reasons: [], champion: champ('FLAG', 0.99) },
      { paymentId: 'f', score: 0.01, decision: 'APPROVE', reasons: [], label: 'fraud' },
    ];
    const p = pairedQuality(rows);
    expect(p.rows).toBe(4);
    expect(p.replayed).toMatchObject({ rocAuc: 1, precision: 1, recall: 1 });
    // champion: fraud {0.4, 0.95} vs legit {0.9, 0.3}: 0.4>0.3, 0.95>0.9, 0.95>0.3 → 3/4; flagged b,d → precision 1/2, recall 1/2
    expect(p.champion.rocAuc).toBeCloseTo(0.75);
    expect(p.champion.precision).toBeCloseTo(0.5);
    expect(p.champion.recall).toBeCloseTo(0.5);
    expect(p.delta.rocAuc).toBeCloseTo(0.25);
    expect(p.delta.precision).toBeCloseTo(0.5);
    expect(p.delta.recall).toBeCloseTo(0.5);
  });

  it('decision changes by direction, reason and label', () => {
    const rows: ReportRow[] = [
      { paymentId: 'a', score: 0.95, decision: 'FLAG', reasons: [{ feature: 'hour_cos', contribution: -2 }, { feature: 'velocity_60s', contribution: 1.5 }], champion: champ('APPROVE', 0.4), label: 'fraud' },
      { paymentId: 'b', score: 0.96, decision: 'FLAG', reasons: [{ feature: 'velocity_60s', contribution: 3 }], champion: champ('APPROVE', 0.5), label: 'legit' },
      { paymentId: 'c', score: 0.1, decision: 'APPROVE', reasons: [], champion: champ('FLAG', 0.9, { reasons: [{ feature: 'new_device', contribution: 2 }] }), label: 'legit' },
      { paymentId: 'd', score: 0.1, decision: 'APPROVE', reasons: [], champion: champ('FLAG', 0.9, { fallback: true, fallbackReason: 'breaker-open' }) },
      { paymentId: 'e', score: 0.1, decision: 'APPROVE', reasons: [], champion: champ('APPROVE', 0.1) },
      { paymentId: 'f', score: 0.9, decision: 'FLAG', reasons: [] },
    ];
    const c = decisionChanges(rows);
    expect(c).toMatchObject({ compared: 5, unchanged: 1, flagToApprove: 2, approveToFlag: 2 });
    expect(c.byReason).toEqual([
      { reason: 'velocity_60s', flagToApprove: 0, approveToFlag: 2 },
      { reason: 'fallback:breaker-open', flagToApprove: 1, approveToFlag: 0 },
      { reason: 'new_device', flagToApprove: 1, approveToFlag: 0 },
    ]);
    expect(c.labeled).toEqual({ flagToApproveLegit: 1, flagToApproveFraud: 0, approveToFlagFraud: 1, approveToFlagLegit: 1 });
    expect(championVersions(rows)).toEqual([{ version: 'fraud-v1', decisions: 5, fallbacks: 1 }]);
  });

  it('the backfill gate fails beyond the AUC tolerance, passes within it, and is inconclusive on few rows', () => {
    const report = (rows: number, replayedAuc: number, championAuc: number): ScoreReport =>
      ({
        kind: 'score',
        replayId: 'r',
        events: { read: rows, replayed: rows, bad: 2, skipped: 0 },
        changes: { flagToApprove: 3, approveToFlag: 1 },
        quality: {
          rows,
          replayed: { rocAuc: replayedAuc },
          champion: { rocAuc: championAuc },
          delta: { rocAuc: replayedAuc - championAuc, precision: null, recall: null },
        },
      }) as unknown as ScoreReport;
    const w = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T06:00:00.000Z' };
    const worse = judgeBackfill(report(200, 0.8, 0.9), { maxAucDrop: 0.05, minLabeled: 50 }, w);
    expect(worse).toMatchObject({ passed: false, rows: 200, flagToApprove: 3, approveToFlag: 1, badEvents: 2 });
    expect(worse.aucDelta).toBeCloseTo(-0.1);
    expect(worse.reason).toContain('< -0.05');
    expect(judgeBackfill(report(200, 0.87, 0.9), { maxAucDrop: 0.05, minLabeled: 50 }, w).passed).toBe(true);
    const few = judgeBackfill(report(10, 0.5, 0.9), { maxAucDrop: 0.05, minLabeled: 50 }, w);
    expect(few.passed).toBe(true);
    expect(few.reason).toContain('inconclusive');
  });
});

describe('backfillGate learning config', () => {
  it('is off by default, fills its defaults, and names what is wrong', () => {
    expect(resolveLearningConfig(undefined).config.backfillGate).toBeNull();
    expect(resolveLearningConfig({ backfillGate: { hours: 6 } })).toEqual({
      config: expect.objectContaining({ backfillGate: { hours: 6, maxAucDrop: 0.02, minLabeled: 50, topic: 'payments.initiated' } }),
      problems: [],
    });
    const base = resolveLearningConfig({ backfillGate: { hours: 6, maxAucDrop: 0.05 } }).config;
    expect(resolveLearningConfig({ backfillGate: null }, base).config.backfillGate).toBeNull();
    expect(resolveLearningConfig({}, base).config.backfillGate).toEqual({ hours: 6, maxAucDrop: 0.05, minLabeled: 50, topic: 'payments.initiated' });
    expect(resolveLearningConfig({ backfillGate: { maxAucDrop: 2 } as never }).problems).toEqual([
      'backfillGate.hours is required: a number from 0.01 to 2160',
      'backfillGate.maxAucDrop must be a number from 0 to 1, got 2',
    ]);
  });
});
