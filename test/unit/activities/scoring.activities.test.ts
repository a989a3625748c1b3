import { ApplicationFailure } from '@temporalio/common';
import { createScoringActivities } from '../../../activities';
import { exportOnnx } from '../../../src/model/onnx-export';
import { RULES_VERSION } from '../../../src/model/rules';
import { ModelRuntime } from '../../../src/model/runtime';
import { generateTrainingSet } from '../../../src/model/synthetic';
import { trainLogisticRegression } from '../../../src/model/train';
import { RISKY_VECTOR } from '../../helpers/feature-vectors';

const risky = RISKY_VECTOR;
const input = { paymentId: 'pay-1', featureSpecVersion: risky.specVersion, vector: Array.from(risky.values) };

function artifact(seed: number, version: string) {
  const set = generateTrainingSet({ rows: 4_000, seed });
  return exportOnnx(trainLogisticRegression(set.X, set.y), { modelName: 'fraud', modelVersion: version });
}

describe('scorePayment', () => {
  const runtimes: ModelRuntime[] = [];
  afterAll(() => Promise.all(runtimes.map((r) => r.close())));

  it('scores with the champion and records the shadow, which never changes the result', async () => {
    const models = new ModelRuntime({ modelName: 'fraud' });
    runtimes.push(models);
    const a = artifact(7, 'fraud-a');
    const b = artifact(8, 'fraud-b');
    await models.setChampion('fraud-a', a.bytes, a.sha256);
    const { scorePayment } = createScoringActivities({ models, modelName: 'fraud' });
    const alone = await scorePayment(input);
    await models.setShadow('fraud-b', b.bytes, b.sha256);
    const withShadow = await scorePayment(input);

    expect(withShadow).toMatchObject({ modelName: 'fraud', modelVersion: 'fraud-a', fallback: false, probability: alone.probability });
    expect(withShadow.fallbackReason).toBeUndefined();
    expect(withShadow.shadow).toEqual({ modelVersion: 'fraud-b', probability: expect.any(Number) });
    expect(withShadow.probability).toBeGreaterThan(0.85);
    expect(withShadow.reasons.length).toBeGreaterThan(0);
    expect(withShadow.reasons[0]).toEqual({ feature: expect.any(String), contribution: expect.any(Number), value: expect.any(Number) });
    // Plain JSON: it travels through the workflow history.
    expect(JSON.parse(JSON.stringify(withShadow))).toEqual(withShadow);
  });

  it('falls back to the rules when no model is loaded, and says why', async () => {
    const models = new ModelRuntime({ modelName: 'fraud' });
    runtimes.push(models);
    const r = await createScoringActivities({ models, modelName: 'fraud' }).scorePayment(input);
    expect(r).toMatchObject({ fallback: true, fallbackReason: 'no-model', modelVersion: RULES_VERSION });
    expect(r.reasons.map((x) => x.rule)).toEqual(expect.arrayContaining(['velocity-burst', 'new-device-abroad']));
    expect(r.shadow).toBeUndefined();
  });

  it('refuses a vector of another spec or shape without retrying (non-retryable, typed)', async () => {
    const models = new ModelRuntime({ modelName: 'fraud' });
    runtimes.push(models);
    const { scorePayment } = createScoringActivities({ models, modelName: 'fraud' });
    for (const bad of [{ ...input, featureSpecVersion: 'pf-v0' }, { ...input, vector: input.vector.slice(1) }]) {
      const err = await scorePayment(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'FEATURE_SPEC_MISMATCH', nonRetryable: true });
    }
  });
});
