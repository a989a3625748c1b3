// Shared model fixtures for the model tests: small synthetic sets and trained models, deterministic per seed.
import { exportOnnx, type OnnxArtifact } from '../../../src/model/onnx-export';
import { generateTrainingSet, type TrainingSet } from '../../../src/model/synthetic';
import { trainLogisticRegression, type LogisticRegressionModel, type TrainOptions } from '../../../src/model/train';

export interface Fixture {
  set: TrainingSet;
  model: LogisticRegressionModel;
  artifact(version: string, modelName?: string): OnnxArtifact;
}

export function trainedFixture(seed: number, rows = 20_000, options: TrainOptions = {}): Fixture {
  const set = generateTrainingSet({ rows, seed });
  const model = trainLogisticRegression(set.X, set.y, options);
  return { set, model, artifact: (version, modelName = 'fraud') => exportOnnx(model, { modelName, modelVersion: version }) };
}
