import { createHash } from 'node:crypto';
import type { Db } from '../db/client';
import { FEATURE_SPEC_VERSION } from '../features/payment-features';
import { buildReferenceProfile } from './drift';
import { selectRows, selectValues, type FeatureMatrix } from './matrix';
import { DEFAULT_DECISION_THRESHOLD, evaluateScores, type ModelMetrics } from './metrics';
import { exportOnnx } from './onnx-export';
import { nextVersion, registerVersion, type ModelLineage, type ModelVersionSummary } from './registry';
import { splitTrainHoldout } from './split';
import { predictProbability, TRAIN_DEFAULTS, trainLogisticRegression, type ClassWeight } from './train';

export interface LabeledDataset {
  X: FeatureMatrix;
  /** 1 = fraud */
  y: Uint8Array;
  eventTimeMs?: ArrayLike<number>;
  labelTimeMs?: ArrayLike<number>;
  kafkaOffsetRange?: ModelLineage['kafkaOffsetRange'];
  /** Where the rows came from, e.g. 'synthetic:seed=7' or 'feature_log'. */
  source: string;
}

export interface TrainAndRegisterOptions {
  modelName: string;
  seed?: number;
  holdoutFraction?: number;
  l2?: number;
  classWeight?: ClassWeight;
  codeVersion?: string;
}

/**
 * Fraud is ~2 % of payments: unweighted, few scores pass the 0.85 decision threshold (recall ≈ 0.5); 'balanced'
 * weights lift recall to ≈ 0.78 but lose calibration (ECE ≈ 0.14). 5:1 keeps scores nearly calibrated
 * (ECE ≈ 0.02) at precision ≈ 0.90, recall ≈ 0.62 on 100k synthetic rows.
 */
export const DEFAULT_CLASS_WEIGHT: ClassWeight = { positive: 5, negative: 1 };

export interface TrainAndRegisterResult {
  version: ModelVersionSummary;
  holdoutMetrics: ModelMetrics;
  trainSeconds: number;
}

/**
 * Train → evaluate on a deterministic holdout → export ONNX → register with lineage and a drift reference
 * profile. Used by `mainspring models train`, the demo's first champion and the learning loop's retrain.
 */
export async function trainAndRegister(db: Db, data: LabeledDataset, options: TrainAndRegisterOptions): Promise<TrainAndRegisterResult> {
  const seed = options.seed ?? 1;
  const split = splitTrainHoldout(data.X.rows, { seed, holdoutFraction: options.holdoutFraction ?? 0.2 });
  const params = { l2: options.l2 ?? TRAIN_DEFAULTS.l2, classWeight: options.classWeight ?? DEFAULT_CLASS_WEIGHT, seed, holdoutFraction: options.holdoutFraction ?? 0.2 };
  const started = process.hrtime.bigint();
  const model = trainLogisticRegression(selectRows(data.X, split.train), selectValues(data.y, split.train), { l2: params.l2, classWeight: params.classWeight });
  const trainSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const holdoutX = selectRows(data.X, split.holdout);
  const holdoutScores = predictProbability(model, holdoutX);
  const holdoutMetrics = evaluateScores(holdoutScores, selectValues(data.y, split.holdout), { threshold: DEFAULT_DECISION_THRESHOLD });
  const version = await nextVersion(db, options.modelName);
  // No trainedAt inside the artifact: identical training reproduces identical bytes, so a retried registration is a no-op.
  const artifact = exportOnnx(model, { modelName: options.modelName, modelVersion: version });
  const registered = await registerVersion(db, {
    modelName: options.modelName,
    version,
    family: 'logreg',
    artifact: artifact.bytes,
    sha256: artifact.sha256,
    featureSpecVersion: FEATURE_SPEC_VERSION,
    metrics: holdoutMetrics,
    referenceProfile: buildReferenceProfile(data.X, { scores: predictProbability(model, data.X) }),
    lineage: {
      datasetHash: datasetHash(data.X, data.y),
      rowCount: data.X.rows,
      positives: data.y.reduce((n, v) => n + v, 0),
      labelTimeRange: timeRange(data.labelTimeMs),
      eventTimeRange: timeRange(data.eventTimeMs),
      kafkaOffsetRange: data.kafkaOffsetRange,
      codeVersion: options.codeVersion ?? process.env.MAINSPRING_CODE_VERSION ?? 'dev',
      trainedAt: new Date().toISOString(),
      params,
      source: data.source,
    },
  });
  return { version: registered, holdoutMetrics, trainSeconds };
}

export function datasetHash(X: FeatureMatrix, y: Uint8Array): string {
  const hash = createHash('sha256');
  hash.update(Buffer.from(X.data.buffer, X.data.byteOffset, X.data.byteLength));
  hash.update(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  return hash.digest('hex');
}

function timeRange(times: ArrayLike<number> | undefined): { from: string; to: string } | null {
  if (!times || times.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < times.length; i += 1) {
    if (times[i] < min) min = times[i];
    if (times[i] > max) max = times[i];
  }
  return { from: new Date(min).toISOString(), to: new Date(max).toISOString() };
}
