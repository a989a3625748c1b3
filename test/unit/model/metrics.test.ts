import {
  averagePrecision,
  brierScore,
  evaluateScores,
  expectedCalibrationError,
  logLoss,
  MetricsInputError,
  rocAuc,
  thresholdMetrics,
} from '../../../src/model/metrics';

// Expected values computed by hand and matching scikit-learn's definitions.
describe('metrics', () => {
  const y = [0, 0, 1, 1];
  const s = [0.1, 0.4, 0.35, 0.8];

  it('ROC-AUC matches the textbook example and handles ties with average ranks', () => {
    expect(rocAuc(s, y)).toBeCloseTo(0.75, 12);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBeCloseTo(0.5, 12);
    expect(rocAuc([0.2, 0.9], [0, 1])).toBe(1);
    expect(rocAuc([0.9, 0.2], [0, 1])).toBe(0);
    expect(rocAuc([0.1, 0.2], [0, 0])).toBeNaN();
  });

  it('average precision steps over distinct thresholds', () => {
    // Descending: 0.8 (1) → P=1, R=.5; 0.4 (0); 0.35 (1) → P=2/3, R=1. AP = .5·1 + .5·2/3.
    expect(averagePrecision(s, y)).toBeCloseTo(0.5 + 1 / 3, 12);
    expect(averagePrecision([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBeCloseTo(0.5, 12);
  });

  it('log loss, Brier and ECE', () => {
    expect(logLoss(s, y)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4, 12);
    expect(brierScore(s, y)).toBeCloseTo((0.01 + 0.16 + 0.4225 + 0.04) / 4, 12);
    // Perfectly calibrated bins: 10 rows at 0.25 with 2.5 positives is impossible, use 0.2 with 2 of 10.
    const scores = Array(10).fill(0.2);
    const labels = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(expectedCalibrationError(scores, labels)).toBeCloseTo(0, 12);
    expect(expectedCalibrationError(Array(10).fill(0.9), labels)).toBeCloseTo(0.7, 12);
    expect(logLoss([0, 1], [1, 0])).toBeLessThan(40); // clipped, finite
  });

  it('counts precision and recall strictly above the threshold (the saga flags score > 0.85)', () => {
    const m = thresholdMetrics([0.85, 0.86, 0.9, 0.2, 0.95], [1, 1, 0, 1, 1], 0.85);
    expect(m).toEqual({ threshold: 0.85, flagged: 3, truePositives: 2, precision: 2 / 3, recall: 0.5, falsePositiveRate: 1 });
    expect(thresholdMetrics([0.1], [1], 0.85).precision).toBe(0);
  });

  it('evaluates everything at 0.85 and at a configurable threshold', () => {
    const m = evaluateScores(s, y, { threshold: 0.3 });
    expect(m.rows).toBe(4);
    expect(m.positives).toBe(2);
    expect(m.atDecisionThreshold.threshold).toBe(0.85);
    expect(m.atDecisionThreshold.flagged).toBe(0);
    expect(m.atThreshold.threshold).toBe(0.3);
    expect(m.atThreshold.recall).toBe(1);
    expect(m.atThreshold.precision).toBeCloseTo(2 / 3, 12);
    expect(() => evaluateScores([0.1], [0, 1])).toThrow(MetricsInputError);
  });
});
