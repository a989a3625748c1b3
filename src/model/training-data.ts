// Reading the learning loop's data from PostgreSQL: the point-in-time training set (logged vectors ⋈ labels) and
// the drift window. Parsing thousands of float8[] rows and hashing them is CPU work too, so these run where the
// fit runs: on the learning compute thread in the worker (compute-pool.ts), inline elsewhere.
//
// Training sets are point-in-time: the feature vectors the model saw at scoring time (feature_log, never recomputed)
// joined with the labels known at the cycle's as-of time (label.labeled_at ≤ asOf), holdout chosen by a stable hash of
// the payment id so that yesterday's holdout never leaks into today's training and challenger and champion are
// compared on exactly the same rows.
import { createHash } from 'node:crypto';
import { and, desc, eq, gt, gte, lte, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { decision as decisionTable, featureLog, label as labelTable } from '../db/schema/payments';
import { FEATURE_COUNT, FEATURE_SPEC_VERSION } from '../features/payment-features';
import { createMatrix, type FeatureMatrix } from './matrix';
import { splitByKey } from './split';

export interface LabeledRow {
  paymentId: string;
  vector: number[];
  y: 0 | 1;
  eventTime: Date;
  labeledAt: Date;
}

export interface LabeledDataset {
  rows: LabeledRow[];
  X: FeatureMatrix;
  y: Uint8Array;
  positives: number;
  /** sha256 over spec version + (payment id, label, vector) of every row, in payment id order. */
  hash: string;
}

/**
 * The point-in-time training set: logged vectors of the current feature spec joined with the labels known at
 * `asOf`, newest `maxRows` by event time, returned in payment id order (so the hash and the split are reproducible).
 */
export async function loadLabeledDataset(
  db: Db,
  options: { asOf: Date; lookbackMs: number | null; maxRows: number },
): Promise<LabeledDataset> {
  const where: SQL[] = [
    eq(featureLog.featureSpecVersion, FEATURE_SPEC_VERSION),
    lte(labelTable.labeledAt, options.asOf),
    lte(featureLog.eventTime, options.asOf),
  ];
  if (options.lookbackMs !== null) where.push(gte(featureLog.eventTime, new Date(options.asOf.getTime() - options.lookbackMs)));
  const raw = await db
    .select({ paymentId: featureLog.paymentId, vector: featureLog.vector, eventTime: featureLog.eventTime, label: labelTable.label, labeledAt: labelTable.labeledAt })
    .from(featureLog)
    .innerJoin(labelTable, eq(labelTable.paymentId, featureLog.paymentId))
    .where(and(...where))
    .orderBy(desc(featureLog.eventTime), desc(featureLog.paymentId))
    .limit(options.maxRows);
  const rows: LabeledRow[] = raw
    .filter((r) => Array.isArray(r.vector) && r.vector.length === FEATURE_COUNT)
    .map((r) => ({ paymentId: r.paymentId, vector: r.vector, y: r.label === 'fraud' ? 1 : 0, eventTime: r.eventTime, labeledAt: r.labeledAt }));
  rows.sort((a, b) => (a.paymentId < b.paymentId ? -1 : a.paymentId > b.paymentId ? 1 : 0));
  const data = new Float32Array(rows.length * FEATURE_COUNT);
  const y = new Uint8Array(rows.length);
  const hash = createHash('sha256').update(`${FEATURE_SPEC_VERSION}\n`);
  let positives = 0;
  rows.forEach((r, i) => {
    data.set(r.vector, i * FEATURE_COUNT);
    y[i] = r.y;
    positives += r.y;
    hash.update(`${r.paymentId}\t${r.y}\t${r.vector.join(',')}\n`);
  });
  return { rows, X: createMatrix(data, rows.length, FEATURE_COUNT), y, positives, hash: hash.digest('hex') };
}

export function subset(ds: LabeledDataset, idx: Uint32Array): { X: FeatureMatrix; y: Uint8Array; positives: number } {
  const data = new Float32Array(idx.length * FEATURE_COUNT);
  const y = new Uint8Array(idx.length);
  let positives = 0;
  idx.forEach((row, k) => {
    data.set(ds.X.data.subarray(row * FEATURE_COUNT, (row + 1) * FEATURE_COUNT), k * FEATURE_COUNT);
    y[k] = ds.y[row];
    positives += ds.y[row];
  });
  return { X: createMatrix(data, idx.length, FEATURE_COUNT), y, positives };
}

/** Stable train/holdout split by payment id, salted with the model name. */
export function holdoutSplit(ds: LabeledDataset, modelName: string, holdoutFraction: number) {
  return splitByKey(
    ds.rows.map((r) => r.paymentId),
    { holdoutFraction, salt: modelName },
  );
}

export function timeRange(dates: Date[]): { from: string; to: string } | null {
  if (dates.length === 0) return null;
  let min = dates[0].getTime();
  let max = min;
  for (const d of dates) {
    const t = d.getTime();
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return { from: new Date(min).toISOString(), to: new Date(max).toISOString() };
}

export interface TrainingSetInput {
  /** Labels known and events happened at or before this time (epoch ms). */
  asOfMs: number;
  lookbackMs: number | null;
  maxRows: number;
  /** Salt of the holdout split. */
  modelName: string;
  holdoutFraction: number;
  minRows: number;
  minPositives: number;
  /** Only the holdout is needed (the gate): the train part comes back empty. */
  holdoutOnly?: boolean;
}

export interface SplitMatrix {
  X: FeatureMatrix;
  y: Uint8Array;
  positives: number;
}

/** A training set as it crosses threads: matrices and summaries, no per-row objects. */
export type TrainingSet =
  | { status: 'insufficient-data'; rows: number; positives: number }
  | {
      status: 'ready';
      rows: number;
      positives: number;
      hash: string;
      labelTimeRange: { from: string; to: string } | null;
      eventTimeRange: { from: string; to: string } | null;
      train: SplitMatrix;
      holdout: SplitMatrix;
    };

/** Loads the point-in-time set and splits it (only when it has enough rows and positives, as the cycle asks). */
export async function loadTrainingSet(db: Db, input: TrainingSetInput): Promise<TrainingSet> {
  const ds = await loadLabeledDataset(db, { asOf: new Date(input.asOfMs), lookbackMs: input.lookbackMs, maxRows: input.maxRows });
  if (ds.rows.length < input.minRows || ds.positives < input.minPositives) return { status: 'insufficient-data', rows: ds.rows.length, positives: ds.positives };
  const split = holdoutSplit(ds, input.modelName, input.holdoutFraction);
  return {
    status: 'ready',
    rows: ds.rows.length,
    positives: ds.positives,
    hash: ds.hash,
    labelTimeRange: timeRange(ds.rows.map((r) => r.labeledAt)),
    eventTimeRange: timeRange(ds.rows.map((r) => r.eventTime)),
    train: subset(ds, input.holdoutOnly ? new Uint32Array(0) : split.train),
    holdout: subset(ds, split.holdout),
  };
}

export interface DriftWindowInput {
  /** Vectors logged in (asOf − window, asOf] (epoch ms). */
  asOfMs: number;
  windowMs: number;
  maxRows: number;
  /** Whose scores (no rule fallback) come with the vectors, for prediction drift. */
  championVersion: string;
}

export interface DriftWindow {
  rows: number;
  current: FeatureMatrix;
  /** The champion's score of every row, or null when some row has none. */
  scores: Float64Array | null;
}

/** The newest `maxRows` vectors of the current spec logged in the window, with the champion's scores. */
export async function readDriftWindow(db: Db, input: DriftWindowInput): Promise<DriftWindow> {
  const asOf = new Date(input.asOfMs);
  const rows = await db
    .select({ vector: featureLog.vector, score: decisionTable.score })
    .from(featureLog)
    .leftJoin(
      decisionTable,
      and(eq(decisionTable.paymentId, featureLog.paymentId), eq(decisionTable.modelVersion, input.championVersion), eq(decisionTable.fallback, false)),
    )
    .where(and(eq(featureLog.featureSpecVersion, FEATURE_SPEC_VERSION), gt(featureLog.createdAt, new Date(asOf.getTime() - input.windowMs)), lte(featureLog.createdAt, asOf)))
    .orderBy(desc(featureLog.createdAt))
    .limit(input.maxRows);
  const usable = rows.filter((r) => Array.isArray(r.vector) && r.vector.length === FEATURE_COUNT);
  const data = new Float32Array(usable.length * FEATURE_COUNT);
  usable.forEach((r, i) => data.set(r.vector, i * FEATURE_COUNT));
  const allScored = usable.every((r) => r.score !== null);
  return { rows: usable.length, current: createMatrix(data, usable.length, FEATURE_COUNT), scores: allScored ? Float64Array.from(usable, (r) => r.score as number) : null };
}
