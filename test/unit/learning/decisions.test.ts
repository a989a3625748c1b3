import { resolveLearningConfig } from '../../../workflows/learning/config';
import { decideGate, improvement, judgePaired, judgeWatch } from '../../../workflows/learning/decisions';
import type { EvaluateHoldoutResult, PairedComparison, QualityMetrics } from '../../../workflows/learning/types';

const q = (o: Partial<QualityMetrics> = {}): QualityMetrics => ({ rows: 1000, positives: 40, rocAuc: 0.9, prAuc: 0.6, logLoss: 0.1, brier: 0.03, precision: 0.8, recall: 0.5, ...o });
const config = resolveLearningConfig(undefined).config;
const holdout = (challenger: Partial<QualityMetrics>, champion: Partial<QualityMetrics> | null, rows = 1000, positives = 40): EvaluateHoldoutResult => ({
  asOf: '2025-03-01T00:00:00.000Z',
  holdoutRows: rows,
  holdoutPositives: positives,
  datasetHash: 'h',
  challenger: q(challenger),
  champion: champion ? q(champion) : null,
});
const pair = (samples: number, primary: Partial<QualityMetrics>, secondary: Partial<QualityMetrics>): PairedComparison => ({
  primaryVersion: 'v1',
  secondaryVersion: 'v2',
  samples,
  positives: 10,
  primary: q(primary),
  secondary: q(secondary),
  logLossDelta: null,
  since: '',
  until: '',
});

describe('improvement', () => {
  it('is positive when the candidate is better, for higher- and lower-is-better metrics', () => {
    expect(improvement('prAuc', q({ prAuc: 0.7 }), q({ prAuc: 0.6 }))).toBeCloseTo(0.1);
    expect(improvement('logLoss', q({ logLoss: 0.08 }), q({ logLoss: 0.1 }))).toBeCloseTo(0.02);
    expect(improvement('rocAuc', q({ rocAuc: null }), q())).toBeNull();
  });
});

describe('validation gate', () => {
  it('passes a challenger at least as good as the champion', () => {
    const g = decideGate(holdout({ prAuc: 0.62, logLoss: 0.1 }, { prAuc: 0.6, logLoss: 0.1 }), 'fraud-v1', config.gate);
    expect(g).toMatchObject({ passed: true, metric: 'prAuc', championVersion: 'fraud-v1' });
    expect(g.improvement).toBeCloseTo(0.02);
  });

  it('blocks a worse challenger with the numbers in the reason', () => {
    const g = decideGate(holdout({ prAuc: 0.55 }, { prAuc: 0.6 }), 'fraud-v1', config.gate);
    expect(g.passed).toBe(false);
    expect(g.reasons).toEqual(['challenger prAuc 0.5500 vs champion 0.6000: -0.0500 < required +0.0000']);
  });

  it('blocks a better-ranking challenger whose calibration got much worse', () => {
    const g = decideGate(holdout({ prAuc: 0.65, logLoss: 0.2 }, { prAuc: 0.6, logLoss: 0.1 }), 'fraud-v1', config.gate);
    expect(g.passed).toBe(false);
    expect(g.reasons[1]).toBe("challenger log loss 0.2000 exceeds the champion's 0.1000 by more than 0.02");
  });

  it('a tolerated loss (negative minimum improvement) lets a slightly worse challenger through', () => {
    const gate = resolveLearningConfig({ gate: { minImprovement: -0.01 } }).config.gate;
    expect(decideGate(holdout({ prAuc: 0.595 }, { prAuc: 0.6 }), 'fraud-v1', gate).passed).toBe(true);
  });

  it('too small a holdout or an undefined metric never passes', () => {
    expect(decideGate(holdout({}, {}, 50, 40), 'v', config.gate).reasons[0]).toBe('holdout has 50 rows, the gate needs 200');
    expect(decideGate(holdout({}, {}, 1000, 2), 'v', config.gate).reasons[0]).toBe('holdout has 2 fraud labels, the gate needs 5');
    expect(decideGate(holdout({ prAuc: null }, {}), 'v', config.gate).passed).toBe(false);
  });

  it('without a champion: the floor decides', () => {
    expect(decideGate(holdout({ prAuc: 0.6 }, null), null, config.gate)).toMatchObject({ passed: true, improvement: null, champion: null });
    expect(decideGate(holdout({ prAuc: 0.3 }, null), null, config.gate).reasons).toEqual(['no champion: challenger prAuc 0.3000 misses the floor 0.5']);
  });
});

describe('paired comparisons', () => {
  it('shadow verdicts: inconclusive below the minimum, worse beyond the tolerance, else better / not worse', () => {
    expect(judgePaired(pair(10, {}, {}), 'logLoss', 100, 0.01).verdict).toBe('inconclusive');
    expect(judgePaired(undefined, 'logLoss', 100, 0.01).verdict).toBe('inconclusive');
    expect(judgePaired(pair(200, { logLoss: 0.1 }, { logLoss: 0.095 }), 'logLoss', 100, 0.01).verdict).toBe('better');
    expect(judgePaired(pair(200, { logLoss: 0.1 }, { logLoss: 0.105 }), 'logLoss', 100, 0.01).verdict).toBe('not-worse');
    const worse = judgePaired(pair(200, { logLoss: 0.1 }, { logLoss: 0.12 }), 'logLoss', 100, 0.01);
    expect(worse.verdict).toBe('worse');
    expect(worse.reason).toBe('v2 vs v1 on 200 paired samples: logLoss -0.0200 (tolerance 0.01)');
  });

  it('watch: a regression is the new champion (primary) worse than the previous one by more than the threshold', () => {
    const watch = config.watch;
    expect(judgeWatch(pair(300, { logLoss: 0.15 }, { logLoss: 0.1 }), watch)).toMatchObject({ regression: true, verdict: 'worse' });
    expect(judgeWatch(pair(300, { logLoss: 0.11 }, { logLoss: 0.1 }), watch)).toMatchObject({ regression: false, verdict: 'not-worse' });
    expect(judgeWatch(pair(300, { logLoss: 0.09 }, { logLoss: 0.1 }), watch)).toMatchObject({ regression: false, verdict: 'better' });
    expect(judgeWatch(pair(10, { logLoss: 0.5 }, { logLoss: 0.1 }), watch)).toMatchObject({ regression: false, verdict: 'inconclusive' });
  });
});
