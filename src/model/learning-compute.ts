// The CPU-bound parts of the learning activities (reading and hashing the training set and the drift window, fit +
// holdout metrics + drift reference, offline metrics, drift statistics) as tasks with plain, structured-clone-safe
// inputs and outputs. The same dispatcher runs on the caller's thread (inline: tests, scripts) or in a worker thread
// with its own database pool (compute-pool.ts), so both give identical results.
import type { Db } from '../db/client';

import { buildReferenceProfile, DriftInputError, detectDrift, type DriftOptions, type DriftReport, type ReferenceProfile } from './drift';
import { MatrixShapeError, type FeatureMatrix } from './matrix';
import { evaluateScores, MetricsInputError, type ModelMetrics } from './metrics';
import { predictProbability, TrainingError, trainLogisticRegression, type ClassWeight, type LogisticRegressionModel } from './train';
import { loadTrainingSet, readDriftWindow, type DriftWindow, type DriftWindowInput, type TrainingSet, type TrainingSetInput } from './training-data';

export interface LabeledMatrix {
  X: FeatureMatrix;
  /** 1 = fraud */
  y: Uint8Array;
}

export interface FitChallengerInput {
  train: LabeledMatrix;
  holdout: LabeledMatrix;
  l2: number;
  classWeight: ClassWeight;
}

export interface FitChallengerResult {
  model: LogisticRegressionModel;
  /** Of the model's scores on the holdout. */
  holdoutMetrics: ModelMetrics;
  /** Of the training rows and the model's scores on them: what drift checks compare against. */
  referenceProfile: ReferenceProfile;
}

export interface EvaluateScoresInput {
  scores: ArrayLike<number>;
  labels: ArrayLike<number>;
  threshold?: number;
}

export interface DetectDriftInput {
  reference: ReferenceProfile;
  current: FeatureMatrix;
  options?: DriftOptions;
}

/** What a task reports while it runs; the learning activities forward it as their heartbeat details. */
export interface ComputeProgress {
  step: string;
  [detail: string]: unknown;
}

export type ProgressListener = (progress: ComputeProgress) => void;

export interface ComputeTaskOptions {
  onProgress?: ProgressListener;
}

/** The learning activities' CPU-heavy work, wherever it runs. */
export interface LearningCompute {
  /** The point-in-time training set, split into train and holdout (or why there is none). */
  loadTrainingSet(input: TrainingSetInput): Promise<TrainingSet>;
  readDriftWindow(input: DriftWindowInput): Promise<DriftWindow>;
  fitChallenger(input: FitChallengerInput, options?: ComputeTaskOptions): Promise<FitChallengerResult>;
  evaluateScores(input: EvaluateScoresInput): Promise<ModelMetrics>;
  detectDrift(input: DetectDriftInput): Promise<DriftReport>;
  /** Releases the thread, if any; pending tasks fail with COMPUTE_THREAD_CLOSED. */
  close(): Promise<void>;
}

export type ComputeTask =
  | { kind: 'loadTrainingSet'; input: TrainingSetInput }
  | { kind: 'readDriftWindow'; input: DriftWindowInput }
  | { kind: 'fitChallenger'; input: FitChallengerInput }
  | { kind: 'evaluateScores'; input: EvaluateScoresInput }
  | { kind: 'detectDrift'; input: DetectDriftInput };

export interface ComputeTaskResults {
  loadTrainingSet: TrainingSet;
  readDriftWindow: DriftWindow;
  fitChallenger: FitChallengerResult;
  evaluateScores: ModelMetrics;
  detectDrift: DriftReport;
}

export function fitChallenger(input: FitChallengerInput, onProgress: ProgressListener = () => {}): FitChallengerResult {
  const { train, holdout } = input;
  const model = trainLogisticRegression(train.X, train.y, { l2: input.l2, classWeight: input.classWeight });
  onProgress({ step: 'evaluating' });
  const holdoutMetrics = evaluateScores(predictProbability(model, holdout.X), holdout.y);
  const referenceProfile = buildReferenceProfile(train.X, { scores: predictProbability(model, train.X) });
  return { model, holdoutMetrics, referenceProfile };
}

/** Runs one task on the current thread; `db` is asked for only by the tasks that read PostgreSQL. */
export async function runComputeTask(task: ComputeTask, db: () => Db, onProgress?: ProgressListener): Promise<ComputeTaskResults[ComputeTask['kind']]> {
  switch (task.kind) {
    case 'loadTrainingSet':
      return loadTrainingSet(db(), task.input);
    case 'readDriftWindow':
      return readDriftWindow(db(), task.input);
    case 'fitChallenger':
      return fitChallenger(task.input, onProgress);
    case 'evaluateScores':
      return evaluateScores(task.input.scores, task.input.labels, { threshold: task.input.threshold });
    case 'detectDrift':
      return detectDrift(task.input.reference, task.input.current, task.input.options);
  }
}

/**
 * Same thread as the caller: what tests and one-off scripts use, and the reference the thread is checked against.
 * `db` is needed only for the reading tasks.
 */
export function createInlineLearningCompute(db?: Db): LearningCompute {
  const database = (): Db => {
    if (!db) throw new ComputeError('COMPUTE_NO_DATABASE', 'this LearningCompute was created without a database');
    return db;
  };
  return {
    loadTrainingSet: async (input) => loadTrainingSet(database(), input),
    readDriftWindow: async (input) => readDriftWindow(database(), input),
    fitChallenger: async (input, options) => fitChallenger(input, options?.onProgress),
    evaluateScores: async (input) => evaluateScores(input.scores, input.labels, { threshold: input.threshold }),
    detectDrift: async (input) => detectDrift(input.reference, input.current, input.options),
    close: async () => {},
  };
}

// ---- errors across the thread boundary --------------------------------------------------------------------------

export type ComputeErrorCode = 'COMPUTE_THREAD_FAILED' | 'COMPUTE_THREAD_CLOSED' | 'COMPUTE_TASK_FAILED' | 'COMPUTE_NO_DATABASE';

/** The thread died or was closed, or a task failed with an error this module does not know by name. */
export class ComputeError extends Error {
  readonly code: string;
  constructor(code: ComputeErrorCode | string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ComputeError';
    this.code = code;
  }
}

/** An error as it crosses postMessage: class name, message, code and the thread's stack. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, code: typeof code === 'string' ? code : undefined, stack: err.stack };
  }
  return { name: 'Error', message: String(err) };
}

/** Rebuilds the error the task threw: the same class for the model area's errors, so `instanceof` and `code` hold. */
export function deserializeError(e: SerializedError): Error {
  let err: Error;
  switch (e.name) {
    case 'TrainingError':
      err = new TrainingError(e.code === 'TRAINING_DIVERGED' ? 'TRAINING_DIVERGED' : 'TRAINING_INPUT_INVALID', e.message);
      break;
    case 'DriftInputError':
      err = new DriftInputError(e.message);
      break;
    case 'MetricsInputError':
      err = new MetricsInputError(e.message);
      break;
    case 'MatrixShapeError':
      err = new MatrixShapeError(e.message);
      break;
    default:
      err = new ComputeError(e.code ?? 'COMPUTE_TASK_FAILED', e.message);
      err.name = e.name;
  }
  if (e.stack) err.stack = e.stack;
  return err;
}
