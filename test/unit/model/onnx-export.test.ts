import { ModelArtifactError } from '../../../src/model/errors';
import { getRow } from '../../../src/model/matrix';
import { exportOnnx, readOnnxMetadata, sha256Hex, ONNX_OPSET } from '../../../src/model/onnx-export';
import { createOrtSession, type ScoringSession } from '../../../src/model/runtime';
import { generateTrainingSet } from '../../../src/model/synthetic';
import { scoreModel, scoreModelFloat32 } from '../../../src/model/train';
import { trainedFixture } from './fixtures';

describe('ONNX export', () => {
  const { model } = trainedFixture(31, 20_000);
  const artifact = exportOnnx(model, { modelName: 'fraud', modelVersion: 'fraud-v7' });
  const holdout = generateTrainingSet({ rows: 5_000, seed: 32 }); // rows the model never saw
  let session: ScoringSession;

  beforeAll(async () => {
    session = await createOrtSession(artifact.bytes);
  });
  afterAll(async () => {
    await session.release();
  });

  it('scores held-out rows like the TypeScript reference to 1e-6 (probability and contributions)', async () => {
    const out = await session.run(holdout.X.data as Float32Array, holdout.X.rows, holdout.X.cols);
    const ref32 = scoreModelFloat32(model, holdout.X);
    const ref64 = scoreModel(model, holdout.X);
    let maxP32 = 0;
    let maxP64 = 0;
    let maxC = 0;
    for (let i = 0; i < holdout.X.rows; i++) {
      maxP32 = Math.max(maxP32, Math.abs(out.probability[i] - ref32.probability[i]));
      maxP64 = Math.max(maxP64, Math.abs(out.probability[i] - ref64.probability[i]));
    }
    for (let k = 0; k < out.contributions.length; k++) maxC = Math.max(maxC, Math.abs(out.contributions[k] - ref32.contributions[k]));
    expect(out.probability).toHaveLength(holdout.X.rows);
    expect(out.contributions).toHaveLength(holdout.X.rows * holdout.X.cols);
    expect(maxP32).toBeLessThanOrEqual(1e-6);
    expect(maxP64).toBeLessThanOrEqual(1e-6);
    expect(maxC).toBeLessThanOrEqual(1e-6);
    // The check has teeth: the scores actually vary across rows.
    expect(Math.max(...out.probability) - Math.min(...out.probability)).toBeGreaterThan(0.5);
  });

  it('scores a single row and a batch identically', async () => {
    const row = getRow(holdout.X, 17);
    const single = await session.run(row, 1, row.length);
    const batch = await session.run(holdout.X.data.subarray(0, 20 * holdout.X.cols) as Float32Array, 20, holdout.X.cols);
    expect(single.probability[0]).toBe(batch.probability[17]);
  });

  it('writes metadata the runtime can check, and the same model always gives the same bytes', () => {
    const meta = readOnnxMetadata(artifact.bytes);
    expect(meta).toMatchObject({
      modelName: 'fraud',
      modelVersion: 'fraud-v7',
      family: 'logreg',
      featureSpecVersion: 'pf-v1',
      featureNames: [...model.featureNames],
      opset: ONNX_OPSET,
      inputName: 'features',
      outputNames: ['probability', 'contributions'],
    });
    expect(meta.trainedAt).toBeUndefined();
    const again = exportOnnx(model, { modelName: 'fraud', modelVersion: 'fraud-v7' });
    expect(again.sha256).toBe(artifact.sha256);
    expect(sha256Hex(artifact.bytes)).toBe(artifact.sha256);
    const stamped = exportOnnx(model, { modelName: 'fraud', modelVersion: 'fraud-v7', trainedAt: '2025-01-02T03:04:05Z' });
    expect(readOnnxMetadata(stamped.bytes).trainedAt).toBe('2025-01-02T03:04:05Z');
  });

  it('refuses bytes that are not one of our models', () => {
    const garbage = Uint8Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) & 0xff);
    expect(() => readOnnxMetadata(garbage)).toThrow(ModelArtifactError);
    const truncated = artifact.bytes.subarray(0, artifact.bytes.length - 40);
    expect(() => readOnnxMetadata(truncated)).toThrow(expect.objectContaining({ code: 'MODEL_ARTIFACT_CORRUPT' }));
  });
});
