import { FEATURE_NAMES } from '../../../src/features/payment-features';
import { selectRows, selectValues } from '../../../src/model/matrix';
import { evaluateScores } from '../../../src/model/metrics';
import { splitByKey, splitByTime, splitTrainHoldout, SplitError } from '../../../src/model/split';
import { generateTrainingSet } from '../../../src/model/synthetic';
import {
  logisticRegressionTrainer,
  predictProbability,
  scoreModel,
  trainLogisticRegression,
  TrainingError,
} from '../../../src/model/train';

// 50k synthetic rows, 80/20 split. Measured holdout ROC-AUC ≈ 0.95 on several seeds; asserted with margin.
const MIN_HOLDOUT_AUC = 0.92;

describe('logistic regression trainer', () => {
  const set = generateTrainingSet({ rows: 50_000, seed: 21 });
  const split = splitTrainHoldout(set.X.rows, { seed: 5, holdoutFraction: 0.2 });
  const Xtr = selectRows(set.X, split.train);
  const ytr = selectValues(set.y, split.train);
  const Xho = selectRows(set.X, split.holdout);
  const yho = selectValues(set.y, split.holdout);
  const model = logisticRegressionTrainer.train(Xtr, ytr);

  it(`reaches holdout ROC-AUC ≥ ${MIN_HOLDOUT_AUC} and is calibrated without class weights`, () => {
    const m = evaluateScores(predictProbability(model, Xho), yho);
    expect(m.positives).toBeGreaterThan(100);
    expect(m.rocAuc).toBeGreaterThanOrEqual(MIN_HOLDOUT_AUC);
    expect(m.prAuc).toBeGreaterThan(0.5);
    expect(m.ece).toBeLessThan(0.01);
    expect(m.atDecisionThreshold.precision).toBeGreaterThan(0.8);
  });

  it('converges by Newton: monotone loss, tiny gradient, few iterations', () => {
    expect(model.family).toBe('logreg');
    expect(model.featureNames).toEqual([...FEATURE_NAMES]);
    expect(model.fit.converged).toBe(true);
    expect(model.fit.iterations).toBeLessThanOrEqual(15);
    expect(model.fit.gradientNorm).toBeLessThan(1e-5);
    const h = model.fit.lossHistory;
    for (let i = 1; i < h.length; i++) expect(h[i]).toBeLessThanOrEqual(h[i - 1]);
    expect(h[h.length - 1]).toBeLessThan(h[0] * 0.6);
    // Learned signs match the generator's fraud mechanism.
    const coef = (name: string) => model.coef[model.featureNames.indexOf(name)];
    for (const name of ['velocity_60s', 'new_device', 'country_mismatch', 'merchant_category_risk', 'user_risk_score']) {
      expect(coef(name)).toBeGreaterThan(0.1);
    }
  });

  it('balanced class weights raise recall at 0.85 (and cost calibration)', () => {
    const weighted = trainLogisticRegression(Xtr, ytr, { classWeight: 'balanced' });
    expect(weighted.fit.classWeights.positive).toBeGreaterThan(10);
    const plain = evaluateScores(predictProbability(model, Xho), yho);
    const bal = evaluateScores(predictProbability(weighted, Xho), yho);
    expect(bal.atDecisionThreshold.recall).toBeGreaterThan(plain.atDecisionThreshold.recall + 0.15);
    expect(bal.ece).toBeGreaterThan(plain.ece);
    expect(bal.rocAuc).toBeGreaterThanOrEqual(MIN_HOLDOUT_AUC);
  });

  it('is deterministic and L2 shrinks the coefficients', () => {
    const again = trainLogisticRegression(Xtr, ytr);
    expect(again.coef).toEqual(model.coef);
    expect(again.intercept).toBe(model.intercept);
    const strong = trainLogisticRegression(Xtr, ytr, { l2: 1 });
    const norm = (c: readonly number[]) => Math.hypot(...c);
    expect(norm(strong.coef)).toBeLessThan(norm(model.coef) * 0.5);
  });

  it('scores with per-feature contributions that add up to the logit', () => {
    const { probability, contributions } = scoreModel(model, Xho);
    const f = model.coef.length;
    for (let i = 0; i < 50; i++) {
      let logit = model.intercept;
      for (let j = 0; j < f; j++) logit += contributions[i * f + j];
      expect(1 / (1 + Math.exp(-logit))).toBeCloseTo(probability[i], 12);
    }
  });

  it('converges on 100k rows × 11 features in a handful of Newton steps (time: see the bench)', () => {
    const big = generateTrainingSet({ rows: 100_000, seed: 22 });
    const m = trainLogisticRegression(big.X, big.y);
    expect(m.fit.converged).toBe(true);
    expect(m.fit.iterations).toBeLessThanOrEqual(15);
  });

  it('rejects bad input with a coded error', () => {
    expect(() => trainLogisticRegression({ data: new Float32Array(4), rows: 2, cols: 2 }, [0, 2])).toThrow(TrainingError);
    expect(() => trainLogisticRegression({ data: new Float32Array(4), rows: 2, cols: 2 }, [0])).toThrow(TrainingError);
    expect(() => trainLogisticRegression({ data: Float32Array.of(1, Number.NaN), rows: 2, cols: 1 }, [0, 1])).toThrow(
      expect.objectContaining({ code: 'TRAINING_INPUT_INVALID' }),
    );
  });
});

describe('train/holdout splits', () => {
  it('random split is deterministic, disjoint and complete', () => {
    const a = splitTrainHoldout(1000, { seed: 1, holdoutFraction: 0.25 });
    const b = splitTrainHoldout(1000, { seed: 1, holdoutFraction: 0.25 });
    expect(Array.from(a.holdout)).toEqual(Array.from(b.holdout));
    expect(a.holdout).toHaveLength(250);
    const all = new Set([...a.train, ...a.holdout]);
    expect(all.size).toBe(1000);
    expect(Array.from(splitTrainHoldout(1000, { seed: 2, holdoutFraction: 0.25 }).holdout)).not.toEqual(Array.from(a.holdout));
    expect(() => splitTrainHoldout(10, { seed: 1, holdoutFraction: 1 })).toThrow(SplitError);
  });

  it('key split keeps a key on the same side whatever else is in the data', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `pay-${i}`);
    const full = splitByKey(keys, { holdoutFraction: 0.2 });
    const sub = splitByKey(keys.slice(2500), { holdoutFraction: 0.2 });
    const heldFull = new Set(Array.from(full.holdout, (i) => keys[i]));
    for (const i of sub.holdout) expect(heldFull.has(keys[2500 + i])).toBe(true);
    expect(full.holdout.length / keys.length).toBeGreaterThan(0.17);
    expect(full.holdout.length / keys.length).toBeLessThan(0.23);
  });

  it('key split sides do not follow a pattern in the key (sequential ids, every fourth one positive)', () => {
    // With FNV-1a alone all ten of pay-0, pay-4, …, pay-36 fell in a 30 % holdout for ~1.8 % of salts (chance: 6e-6),
    // leaving training without a positive.
    let allHeldOut = 0;
    for (let s = 0; s < 2_000; s++) {
      const keys = Array.from({ length: 40 }, (_, i) => `model-${s}-pay-${i}`);
      const { train } = splitByKey(keys, { holdoutFraction: 0.3, salt: `model-${s}` });
      if (!Array.from(train).some((i) => i % 4 === 0)) allHeldOut++;
    }
    expect(allHeldOut).toBeLessThanOrEqual(1);
  });

  it('time split holds out the latest rows', () => {
    const times = [5, 1, 4, 2, 3, 9, 7, 8, 6, 0];
    const s = splitByTime(times, { holdoutFraction: 0.3 });
    expect(Array.from(s.holdout, (i) => times[i]).sort()).toEqual([7, 8, 9]);
    expect(Math.max(...Array.from(s.train, (i) => times[i]))).toBe(6);
  });
});
