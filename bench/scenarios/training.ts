// Training 100k rows × the payment features: mainspring's IRLS logistic regression vs scikit-learn's
// LogisticRegression (lbfgs) on the same training rows with the same objective, AUC on the same holdout. Also
// trains and registers the champion the pipeline scenarios serve (the product's train → export → register path).
import { join } from 'node:path';
import type { Db } from '../../src/db/client';
import { selectRows, selectValues, type FeatureMatrix } from '../../src/model/matrix';
import { rocAuc } from '../../src/model/metrics';
import { getVersion, promote } from '../../src/model/registry';
import { splitTrainHoldout } from '../../src/model/split';
import { generateTrainingSet } from '../../src/model/synthetic';
import { predictProbability, resolveClassWeights, TRAIN_DEFAULTS, trainLogisticRegression, type TrainedModel } from '../../src/model/train';
import { DEFAULT_CLASS_WEIGHT, trainAndRegister } from '../../src/model/training-pipeline';
import { MODEL_SEED } from '../lib/config';
import { checkAborted, pythonUnavailable, type BenchContext } from '../lib/context';
import { writeArray } from '../lib/files';
import { runPythonJson } from '../lib/python-env';
import { atMost, allOf } from '../lib/report';
import { median, ratio } from '../lib/stats';

export interface PreparedModel {
  modelName: string;
  version: string;
  artifact: Uint8Array;
  sha256: string;
  model: TrainedModel;
  holdout: FeatureMatrix;
}

interface SklearnTrain {
  sklearn: string;
  solver: string;
  iterations: number;
  fitSecondsMedian: number;
  holdoutAuc: number;
}

export async function prepareModel(ctx: BenchContext, db: Db, modelName: string): Promise<PreparedModel> {
  const rows = ctx.config.trainingRows;
  ctx.progress(`generating ${rows.toLocaleString('en-US')} synthetic training rows`);
  const set = generateTrainingSet({ rows, seed: MODEL_SEED });
  ctx.progress('training, exporting ONNX and registering the champion (product pipeline)');
  const registered = await trainAndRegister(db, { X: set.X, y: set.y, eventTimeMs: set.eventTimeMs, labelTimeMs: set.labelTimeMs, source: `bench:synthetic:seed=${MODEL_SEED}` }, { modelName, seed: MODEL_SEED });
  const version = registered.version.version;
  await promote(db, modelName, version, 'bench', 'benchmark champion');
  const record = await getVersion(db, modelName, version);
  if (!record) throw new Error(`${modelName}@${version} vanished after registration`);

  // The very split trainAndRegister used (same seed and fraction), so both trainers see the same rows.
  const split = splitTrainHoldout(rows, { seed: MODEL_SEED, holdoutFraction: 0.2 });
  const trainX = selectRows(set.X, split.train);
  const trainY = selectValues(set.y, split.train);
  const holdX = selectRows(set.X, split.holdout);
  const holdY = selectValues(set.y, split.holdout);
  const trainOptions = { l2: TRAIN_DEFAULTS.l2, classWeight: DEFAULT_CLASS_WEIGHT };

  const seconds: number[] = [];
  let model: TrainedModel | undefined;
  for (let r = 0; r < ctx.config.repetitions; r++) {
    checkAborted(ctx.signal);
    const t0 = process.hrtime.bigint();
    model = trainLogisticRegression(trainX, trainY, trainOptions);
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const ours = { seconds: median(seconds), auc: rocAuc(predictProbability(model!, holdX), holdY), iterations: model!.fit.iterations, registeredAuc: registered.holdoutMetrics.rocAuc };

  let sk: SklearnTrain | null = null;
  let skProblem = pythonUnavailable(ctx);
  if (ctx.python.ok && ctx.config.python) {
    writeArray(join(ctx.workDir, 'train-x.f32'), Float32Array.from(trainX.data));
    writeArray(join(ctx.workDir, 'train-y.u8'), trainY);
    writeArray(join(ctx.workDir, 'holdout-x.f32'), Float32Array.from(holdX.data));
    writeArray(join(ctx.workDir, 'holdout-y.u8'), holdY);
    // Our loss: (1/W) Σ wᵢ ℓᵢ + (λ/2)‖β‖²  ⇔  sklearn's ½‖β‖² + C Σ wᵢ ℓᵢ with C = 1 / (λ W).
    let positives = 0;
    for (let i = 0; i < trainY.length; i++) positives += trainY[i];
    const w = resolveClassWeights(DEFAULT_CLASS_WEIGHT, trainY.length, positives);
    const totalWeight = positives * w.positive + (trainY.length - positives) * w.negative;
    const c = 1 / (TRAIN_DEFAULTS.l2 * totalWeight);
    ctx.progress(`scikit-learn: fitting the same ${trainY.length.toLocaleString('en-US')} rows (C = ${c.toExponential(3)})`);
    try {
      sk = await runPythonJson<SklearnTrain>(ctx.python.env, ['train', '--dir', ctx.workDir, '--cols', String(trainX.cols), '--c', String(c), '--pos-weight', String(w.positive / w.negative), '--repetitions', String(ctx.config.repetitions)], ctx.signal);
    } catch (err) {
      skProblem = (err as Error).message;
    }
  } else if (!ctx.config.python) skProblem = 'python comparisons skipped (--no-python)';

  const aucDelta = sk ? ours.auc - sk.holdoutAuc : null;
  const timeRatio = ratio(ours.seconds, sk?.fitSecondsMedian);
  const note = skProblem ?? undefined;
  ctx.details.training = { rows, trainRows: trainY.length, holdoutRows: holdY.length, features: trainX.cols, mainspring: ours, sklearn: sk, sklearnProblem: skProblem, repetitions: ctx.config.repetitions };
  ctx.rows.push(
    {
      section: 'training',
      metric: `fit time, ${trainY.length.toLocaleString('en-US')} rows × ${trainX.cols} features (median of ${ctx.config.repetitions})`,
      mainspring: { value: ours.seconds, unit: 's' },
      other: { name: `scikit-learn ${sk?.sklearn ?? ''} LogisticRegression`.replace('  ', ' '), value: sk?.fitSecondsMedian ?? null, unit: 's', ...(note ? { note } : {}) },
      ratio: { value: timeRatio, label: 'time vs scikit-learn' },
      target: { text: '≤ 2× scikit-learn', verdict: atMost(timeRatio, 2) },
    },
    {
      section: 'training',
      metric: `holdout AUC (${holdY.length.toLocaleString('en-US')} rows)`,
      mainspring: { value: ours.auc, unit: 'AUC' },
      other: { name: 'scikit-learn', value: sk?.holdoutAuc ?? null, unit: 'AUC', ...(note ? { note } : {}) },
      ratio: { value: aucDelta, label: 'AUC difference (mainspring − sklearn)', plain: true },
      target: { text: '|Δ AUC| ≤ 0.005', verdict: allOf(atMost(aucDelta === null ? null : Math.abs(aucDelta), 0.005)) },
    },
  );
  return { modelName, version, artifact: record.artifact, sha256: record.sha256, model: model!, holdout: holdX };
}
