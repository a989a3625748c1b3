// Activities of the continual-learning loop (workflows/learning-loop.workflow.ts). Each is idempotent on its own key:
// labels upsert by payment, a training run registers at most one version per cycle, alias moves are no-ops when the
// registry is already in the requested state, records upsert by the ids the workflow generated.
//
// Training sets are point-in-time: the feature vectors the model saw at scoring time (feature_log, never recomputed)
// joined with the labels known at the cycle's as-of time (label.labeled_at ≤ asOf), holdout chosen by a stable hash of
// the payment id so that yesterday's holdout never leaks into today's training and challenger and champion are
// compared on exactly the same rows.
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, desc, eq, gt, gte, isNotNull, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../src/db/client';
import { failPermanentFast } from './shared';
import { approval as approvalTable, learningCycle, learningTrigger } from '../src/db/schema/learning';
import { modelVersion } from '../src/db/schema/models';
import { decision as decisionTable, featureLog, label as labelTable } from '../src/db/schema/payments';
import { FEATURE_COUNT, FEATURE_SPEC_VERSION } from '../src/features/payment-features';
import { createInlineLearningCompute, type LearningCompute } from '../src/model/learning-compute';
import { createMatrix, type FeatureMatrix } from '../src/model/matrix';
import type { ModelMetrics } from '../src/model/metrics';
import { exportOnnx } from '../src/model/onnx-export';
import {
  getAliases,
  getReferenceProfile,
  getVersion,
  listVersions,
  nextVersion,
  promote,
  recordDriftReport,
  registerVersion,
  rollback,
  setAlias,
  type ModelLineage,
} from '../src/model/registry';
import { createOrtSession, type ScoringSession } from '../src/model/runtime';
import { splitByKey } from '../src/model/split';
import type { Logger } from '../src/observability/logger';
import type {
  AliasMove,
  ChampionInfo,
  CheckDriftInput,
  CheckDriftResult,
  ComparePairedInput,
  EvaluateHoldoutInput,
  EvaluateHoldoutResult,
  LabelInput,
  LearningRecord,
  PairedComparison,
  PersistRecordsInput,
  PromoteInput,
  PromoteResult,
  QualityMetrics,
  RecordLabelsInput,
  RecordLabelsResult,
  RollbackInput,
  SetShadowInput,
  TrainChallengerInput,
  TrainChallengerResult,
} from '../workflows/learning/types';

export interface LearningActivityDeps {
  db: Db;
  logger?: Logger;
  /** Recorded in every version's lineage (e.g. the git commit of the worker); default "unknown". */
  codeVersion?: string;
  /** Loads a registered artifact for scoring; default onnxruntime-node. Tests may inject. */
  sessionFactory?: (bytes: Uint8Array) => Promise<ScoringSession>;
  /** Most rows a drift check reads from the window (the newest). Default 5000. */
  driftMaxRows?: number;
  /** Actor recorded on alias moves the loop makes on its own. Default "learning-loop". */
  actor?: string;
  /**
   * Where fitting, offline metrics and drift statistics run. The worker passes a LearningComputeThread
   * (src/model/compute-pool.ts) so they do not block the sagas sharing its event loop; default: inline.
   */
  compute?: LearningCompute;
}

/** Error types the workflow must not retry (also listed in workflows/learning/activity-profiles.ts). */
const PERMANENT_CODES = new Set([
  'MODEL_VERSION_NOT_FOUND',
  'MODEL_VERSION_INVALID',
  'MODEL_NO_PREVIOUS',
  'MODEL_NO_CHAMPION',
  'TRAINING_INPUT_INVALID',
  'FEATURE_SPEC_MISMATCH',
  'LearningInputInvalid',
]);

function permanentFast<T>(fn: () => Promise<T>): Promise<T> {
  return failPermanentFast(fn, PERMANENT_CODES);
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'LearningInputInvalid', nonRetryable: true });
}

/** Heartbeats when running as an activity; a no-op when called directly (tests, scripts). */
function beat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not inside an activity
  }
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** JSON-safe summary of offline metrics (NaN → null). */
export function toQualityMetrics(m: ModelMetrics): QualityMetrics {
  return {
    rows: m.rows,
    positives: m.positives,
    rocAuc: finite(m.rocAuc),
    prAuc: finite(m.prAuc),
    logLoss: finite(m.logLoss),
    brier: finite(m.brier),
    precision: finite(m.atDecisionThreshold.precision),
    recall: finite(m.atDecisionThreshold.recall),
  };
}

function parseTime(value: string, what: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw invalid(`${what} is not a valid time: ${JSON.stringify(value)}`);
  return d;
}

// ---- training data ----------------------------------------------------------------------------------------------

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

function subset(ds: LabeledDataset, idx: Uint32Array): { X: FeatureMatrix; y: Uint8Array; positives: number } {
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

function timeRange(dates: Date[]): { from: string; to: string } | null {
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

const cycleSource = (cycleId: string): string => `learning-loop:${cycleId}`;

// ---- the activities ---------------------------------------------------------------------------------------------

export function createLearningActivities(deps: LearningActivityDeps) {
  const { db } = deps;
  const logger = deps.logger?.child({ component: 'learning-activities' });
  const sessionFactory = deps.sessionFactory ?? ((bytes: Uint8Array) => createOrtSession(bytes));
  const loopActor = deps.actor ?? 'learning-loop';
  const compute = deps.compute ?? createInlineLearningCompute();

  async function championInfo(modelName: string, version: string): Promise<ChampionInfo | null> {
    const [row] = await db
      .select({ createdAt: modelVersion.createdAt, lineage: modelVersion.lineage, hasReference: sql<boolean>`${modelVersion.referenceProfile} is not null` })
      .from(modelVersion)
      .where(and(eq(modelVersion.modelName, modelName), eq(modelVersion.version, version)))
      .limit(1);
    if (!row) return null;
    const trained = row.lineage?.trainedAt && !Number.isNaN(Date.parse(row.lineage.trainedAt)) ? new Date(row.lineage.trainedAt) : row.createdAt;
    return { version, trainedAt: trained.toISOString(), hasReference: Boolean(row.hasReference) };
  }

  async function scoreVersion(modelName: string, version: string, X: FeatureMatrix): Promise<Float32Array> {
    const record = await getVersion(db, modelName, version);
    if (!record) throw invalid(`${modelName}@${version} is not registered`);
    const session = await sessionFactory(record.artifact);
    try {
      const data = X.data instanceof Float32Array ? X.data : Float32Array.from(X.data);
      const out = await session.run(data, X.rows, X.cols);
      return out.probability;
    } finally {
      await session.release();
    }
  }

  async function currentChampion(modelName: string): Promise<ChampionInfo | null> {
    const aliases = await getAliases(db, modelName);
    return aliases.champion ? championInfo(modelName, aliases.champion) : null;
  }

  return {
    /** Upserts labels (one per payment, newest labeledAt wins) and says how many payments are newly labelled. */
    async recordLabels(input: RecordLabelsInput): Promise<RecordLabelsResult> {
      const byPayment = new Map<string, LabelInput>();
      for (const l of input.labels) {
        if (l.label !== 'fraud' && l.label !== 'legit') throw invalid(`label of ${l.paymentId} must be fraud or legit, got ${JSON.stringify(l.label)}`);
        parseTime(l.labeledAt, `labeledAt of ${l.paymentId}`);
        const seen = byPayment.get(l.paymentId);
        if (!seen || Date.parse(seen.labeledAt) <= Date.parse(l.labeledAt)) byPayment.set(l.paymentId, l);
      }
      const rows = [...byPayment.values()];
      let inserted = 0;
      let updated = 0;
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000);
        const returned = await db
          .insert(labelTable)
          .values(chunk.map((l) => ({ paymentId: l.paymentId, label: l.label, source: l.source, labeledAt: new Date(l.labeledAt), eventId: l.eventId })))
          .onConflictDoUpdate({
            target: labelTable.paymentId,
            set: { label: sql`excluded.label`, source: sql`excluded.source`, labeledAt: sql`excluded.labeled_at`, eventId: sql`excluded.event_id` },
            setWhere: sql`${labelTable.eventId} <> excluded.event_id and ${labelTable.labeledAt} <= excluded.labeled_at`,
          })
          .returning({ inserted: sql<boolean>`(xmax = 0)` });
        for (const r of returned) {
          if (r.inserted) inserted++;
          else updated++;
        }
      }
      const unchanged = input.labels.length - inserted - updated;
      logger?.debug({ modelName: input.modelName, inserted, updated, unchanged }, 'labels recorded');
      return { inserted, updated, unchanged };
    },

    async getChampion(input: { modelName: string }): Promise<ChampionInfo | null> {
      return currentChampion(input.modelName);
    },

    /** Drift of the recent logged vectors (and champion scores) against the champion's training reference. */
    async checkDrift(input: CheckDriftInput): Promise<CheckDriftResult> {
      const champion = await currentChampion(input.modelName);
      if (!champion) return { status: 'skipped', reason: 'no-champion', champion };
      const reference = await getReferenceProfile(db, input.modelName, champion.version);
      if (!reference) return { status: 'skipped', reason: 'no-reference', champion };
      const asOf = parseTime(input.asOf, 'asOf');
      const rows = await db
        .select({ vector: featureLog.vector, score: decisionTable.score })
        .from(featureLog)
        .leftJoin(
          decisionTable,
          and(eq(decisionTable.paymentId, featureLog.paymentId), eq(decisionTable.modelVersion, champion.version), eq(decisionTable.fallback, false)),
        )
        .where(
          and(
            eq(featureLog.featureSpecVersion, FEATURE_SPEC_VERSION),
            gt(featureLog.createdAt, new Date(asOf.getTime() - input.windowMs)),
            lte(featureLog.createdAt, asOf),
          ),
        )
        .orderBy(desc(featureLog.createdAt))
        .limit(deps.driftMaxRows ?? 5000);
      const usable = rows.filter((r) => Array.isArray(r.vector) && r.vector.length === FEATURE_COUNT);
      if (usable.length < input.minRows) return { status: 'skipped', reason: 'too-few-rows', rows: usable.length, champion };
      const data = new Float32Array(usable.length * FEATURE_COUNT);
      usable.forEach((r, i) => data.set(r.vector, i * FEATURE_COUNT));
      const allScored = usable.every((r) => r.score !== null);
      const report = await compute.detectDrift({ reference, current: createMatrix(data, usable.length, FEATURE_COUNT), options: allScored ? { scores: usable.map((r) => r.score as number) } : {} });
      const stored = await recordDriftReport(db, { modelName: input.modelName, championVersion: champion.version, report });
      logger?.info({ modelName: input.modelName, datasetDrift: report.datasetDrift, share: report.share, rows: report.rows }, 'drift checked');
      return {
        status: 'checked',
        champion,
        finding: {
          source: 'periodic',
          reportId: String(stored.id),
          datasetDrift: report.datasetDrift,
          share: report.share,
          driftedFeatures: report.features.filter((f) => f.drifted).map((f) => f.name),
          at: input.asOf,
          championVersion: champion.version,
          rows: report.rows,
        },
      };
    },

    /**
     * Trains a challenger on the point-in-time training set, exports it to ONNX and registers it with lineage and a
     * drift reference. A retry of the same cycle returns the version the first attempt registered.
     */
    async trainChallenger(input: TrainChallengerInput): Promise<TrainChallengerResult> {
      return permanentFast(async () => {
        const started = Date.now();
        const source = cycleSource(input.cycleId);
        const earlier = (await listVersions(db, input.modelName, { limit: 50 })).find((v) => v.lineage.source === source);
        if (earlier) {
          const p = (earlier.lineage.params ?? {}) as { trainRows?: number; holdoutRows?: number };
          return {
            status: 'trained',
            version: earlier.version,
            sha256: earlier.sha256,
            datasetHash: earlier.lineage.datasetHash,
            rows: earlier.lineage.rowCount,
            positives: earlier.lineage.positives ?? 0,
            trainRows: p.trainRows ?? 0,
            holdoutRows: p.holdoutRows ?? 0,
            labelTimeRange: earlier.lineage.labelTimeRange,
            holdoutMetrics: toQualityMetrics(earlier.metrics),
            reused: true,
            durationMs: Date.now() - started,
          };
        }
        const asOf = parseTime(input.asOf, 'asOf');
        const t = input.training;
        beat({ step: 'loading' });
        const ds = await loadLabeledDataset(db, { asOf, lookbackMs: t.lookbackMs, maxRows: t.maxRows });
        if (ds.rows.length < t.minRows || ds.positives < t.minPositives) {
          return { status: 'insufficient-data', rows: ds.rows.length, positives: ds.positives, minRows: t.minRows, minPositives: t.minPositives };
        }
        const split = holdoutSplit(ds, input.modelName, t.holdoutFraction);
        const trainSet = subset(ds, split.train);
        const holdout = subset(ds, split.holdout);
        if (trainSet.positives === 0 || trainSet.positives === trainSet.y.length) {
          return { status: 'insufficient-data', rows: ds.rows.length, positives: ds.positives, minRows: t.minRows, minPositives: t.minPositives };
        }
        beat({ step: 'training', rows: trainSet.y.length });
        const { model, holdoutMetrics, referenceProfile } = await compute.fitChallenger(
          { train: { X: trainSet.X, y: trainSet.y }, holdout: { X: holdout.X, y: holdout.y }, l2: t.l2, classWeight: t.classWeight },
          { onProgress: (progress) => beat(progress) },
        );
        const version = await nextVersion(db, input.modelName);
        const artifact = exportOnnx(model, { modelName: input.modelName, modelVersion: version, trainedAt: input.asOf });
        const lineage: ModelLineage = {
          datasetHash: ds.hash,
          rowCount: ds.rows.length,
          positives: ds.positives,
          labelTimeRange: timeRange(ds.rows.map((r) => r.labeledAt)),
          eventTimeRange: timeRange(ds.rows.map((r) => r.eventTime)),
          codeVersion: deps.codeVersion ?? 'unknown',
          trainedAt: input.asOf,
          params: {
            family: 'logreg',
            l2: t.l2,
            classWeight: t.classWeight,
            holdoutFraction: t.holdoutFraction,
            split: `splitByKey(paymentId, salt=${input.modelName})`,
            trainRows: trainSet.y.length,
            holdoutRows: holdout.y.length,
            lookbackMs: t.lookbackMs,
            maxRows: t.maxRows,
            iterations: model.fit.iterations,
            converged: model.fit.converged,
            cycleId: input.cycleId,
          },
          source,
        };
        beat({ step: 'registering', version });
        const registered = await registerVersion(db, {
          modelName: input.modelName,
          version,
          family: model.family,
          artifact: artifact.bytes,
          sha256: artifact.sha256,
          featureSpecVersion: model.featureSpecVersion,
          metrics: holdoutMetrics,
          lineage,
          referenceProfile,
        });
        logger?.info({ modelName: input.modelName, version: registered.version, rows: ds.rows.length, positives: ds.positives }, 'challenger registered');
        return {
          status: 'trained',
          version: registered.version,
          sha256: registered.sha256,
          datasetHash: ds.hash,
          rows: ds.rows.length,
          positives: ds.positives,
          trainRows: trainSet.y.length,
          holdoutRows: holdout.y.length,
          labelTimeRange: lineage.labelTimeRange,
          holdoutMetrics: toQualityMetrics(holdoutMetrics),
          reused: false,
          durationMs: Date.now() - started,
        };
      });
    },

    /** Challenger and champion scored on the same holdout (the registered ONNX artifacts, as served). */
    async evaluateHoldout(input: EvaluateHoldoutInput): Promise<EvaluateHoldoutResult> {
      return permanentFast(async () => {
        const asOf = parseTime(input.asOf, 'asOf');
        beat({ step: 'loading' });
        const ds = await loadLabeledDataset(db, { asOf, lookbackMs: input.training.lookbackMs, maxRows: input.training.maxRows });
        const holdout = subset(ds, holdoutSplit(ds, input.modelName, input.training.holdoutFraction).holdout);
        const measure = async (version: string): Promise<QualityMetrics> => {
          beat({ step: 'scoring', version });
          if (holdout.y.length === 0) return { rows: 0, positives: 0, rocAuc: null, prAuc: null, logLoss: null, brier: null, precision: null, recall: null };
          return toQualityMetrics(await compute.evaluateScores({ scores: await scoreVersion(input.modelName, version, holdout.X), labels: holdout.y }));
        };
        return {
          asOf: input.asOf,
          holdoutRows: holdout.y.length,
          holdoutPositives: holdout.positives,
          datasetHash: ds.hash,
          challenger: await measure(input.challengerVersion),
          champion: input.championVersion ? await measure(input.championVersion) : null,
        };
      });
    },

    async setShadowAlias(input: SetShadowInput): Promise<AliasMove> {
      return permanentFast(async () => {
        const r = await setAlias(db, { modelName: input.modelName, alias: 'shadow', version: input.version, actor: input.actor, reason: input.reason });
        return { changed: r.changed, ...r.aliases };
      });
    },

    /**
     * Champion vs shadow on the same payments: decisions the `primary` version made (no rule fallback) while
     * `secondary` scored in shadow, joined with their labels.
     */
    async comparePaired(input: ComparePairedInput): Promise<PairedComparison> {
      const rows = await db
        .select({ score: decisionTable.score, shadowScore: decisionTable.shadowScore, label: labelTable.label })
        .from(decisionTable)
        .innerJoin(labelTable, eq(labelTable.paymentId, decisionTable.paymentId))
        .where(
          and(
            eq(decisionTable.modelName, input.modelName),
            eq(decisionTable.modelVersion, input.primaryVersion),
            eq(decisionTable.shadowVersion, input.secondaryVersion),
            isNotNull(decisionTable.shadowScore),
            eq(decisionTable.fallback, false),
            gte(decisionTable.decidedAt, parseTime(input.since, 'since')),
            lte(decisionTable.decidedAt, parseTime(input.until, 'until')),
          ),
        );
      const y = Uint8Array.from(rows, (r) => (r.label === 'fraud' ? 1 : 0));
      const primary = Float64Array.from(rows, (r) => r.score);
      const secondary = Float64Array.from(rows, (r) => r.shadowScore as number);
      let positives = 0;
      for (const v of y) positives += v;
      const base = { primaryVersion: input.primaryVersion, secondaryVersion: input.secondaryVersion, samples: rows.length, positives, since: input.since, until: input.until };
      if (rows.length === 0) return { ...base, primary: null, secondary: null, logLossDelta: null };
      const eps = 1e-15;
      const ll = (p: number, label: number) => -Math.log(label === 1 ? Math.min(1 - eps, Math.max(eps, p)) : 1 - Math.min(1 - eps, Math.max(eps, p)));
      const diffs = rows.map((_, i) => ll(secondary[i], y[i]) - ll(primary[i], y[i]));
      const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
      const variance = diffs.length > 1 ? diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (diffs.length - 1) : 0;
      return {
        ...base,
        primary: toQualityMetrics(await compute.evaluateScores({ scores: primary, labels: y })),
        secondary: toQualityMetrics(await compute.evaluateScores({ scores: secondary, labels: y })),
        logLossDelta: { mean, stdErr: Math.sqrt(variance / diffs.length) },
      };
    },

    /** champion := version (previous := old champion), with the approver and reason in the alias history. */
    async promoteVersion(input: PromoteInput): Promise<PromoteResult> {
      return permanentFast(async () => {
        if (input.approver.trim() === '') throw invalid('a promotion needs an approver');
        const r = await promote(db, input.modelName, input.version, input.approver, input.reason);
        const championChange = r.changes.find((c) => c.alias === 'champion');
        // A retry after the flip committed changes nothing; the previous champion is then the `previous` alias.
        const previousChampion = r.changed ? (championChange?.from ?? null) : r.aliases.previous;
        logger?.info({ modelName: input.modelName, version: input.version, previousChampion, approver: input.approver, changed: r.changed }, 'promoted');
        return { changed: r.changed, previousChampion, ...r.aliases };
      });
    },

    /** Swaps champion and previous back, only if the champion is still the version judged bad. */
    async rollbackVersion(input: RollbackInput): Promise<AliasMove> {
      return permanentFast(async () => {
        const r = await rollback(db, input.modelName, loopActor, input.reason, { expectedChampion: input.expectedChampion });
        logger?.warn({ modelName: input.modelName, from: input.expectedChampion, to: r.aliases.champion, changed: r.changed }, 'rolled back');
        return { changed: r.changed, ...r.aliases };
      });
    },

    /** Upserts trigger, cycle and approval records (keyed by workflow-generated ids). */
    async persistRecords(input: PersistRecordsInput): Promise<{ written: number }> {
      await db.transaction(async (tx) => {
        for (const record of input.records) await upsertRecord(tx as unknown as Db, input, record);
      });
      return { written: input.records.length };
    },
  };
}

export type LearningActivities = ReturnType<typeof createLearningActivities>;

const date = (v: string | undefined | null): Date | null => (v ? new Date(v) : null);

async function upsertRecord(db: Db, input: PersistRecordsInput, record: LearningRecord): Promise<void> {
  if (record.type === 'trigger') {
    const t = record.trigger;
    await db
      .insert(learningTrigger)
      .values({ id: t.id, modelName: input.modelName, workflowId: input.workflowId, kind: t.kind, outcome: t.outcome, reason: t.reason, cycleId: t.cycleId ?? null, detail: t.detail ?? null, at: new Date(t.at) })
      .onConflictDoNothing({ target: learningTrigger.id });
    return;
  }
  if (record.type === 'cycle') {
    const c = record.cycle;
    const values = {
      id: c.id,
      modelName: c.modelName,
      workflowId: input.workflowId,
      number: c.number,
      triggerId: c.trigger.id,
      triggerKind: c.trigger.kind,
      triggerReason: c.trigger.reason,
      phase: c.phase,
      outcome: c.outcome ?? null,
      outcomeReason: c.outcomeReason ?? null,
      asOf: new Date(c.asOf),
      championAtStart: c.championAtStart,
      candidateVersion: c.candidate ?? null,
      training: c.training ?? null,
      gate: c.gate ?? null,
      regates: c.regates,
      shadow: c.shadow ?? null,
      promotion: c.promotion ?? null,
      watch: c.watch ?? null,
      rollback: c.rollback ?? null,
      drift: c.drift,
      error: c.error ?? null,
      startedAt: new Date(c.startedAt),
      endedAt: date(c.endedAt),
    };
    const { id: _id, ...update } = values;
    await db
      .insert(learningCycle)
      .values(values)
      .onConflictDoUpdate({ target: learningCycle.id, set: { ...update, updatedAt: sql`now()` } });
    return;
  }
  const a = record.approval;
  const values = {
    requestId: a.requestId,
    modelName: a.modelName,
    cycleId: a.cycleId,
    version: a.version,
    status: a.status,
    requestedAt: new Date(a.requestedAt),
    deadline: new Date(a.deadline),
    decidedBy: a.decidedBy ?? null,
    decidedAt: date(a.decidedAt),
    reason: a.reason ?? null,
    via: a.via ?? null,
    evidence: a.evidence,
  };
  const { requestId: _requestId, ...update } = values;
  await db
    .insert(approvalTable)
    .values(values)
    .onConflictDoUpdate({ target: approvalTable.requestId, set: { ...update, updatedAt: sql`now()` } });
}
