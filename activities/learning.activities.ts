// Activities of the continual-learning loop (workflows/learning-loop.workflow.ts). Each is idempotent on its own key:
// labels upsert by payment, a training run registers at most one version per cycle, alias moves are no-ops when the
// registry is already in the requested state, records upsert by the ids the workflow generated.
//
// Training sets are point-in-time (src/model/training-data.ts). Reading them, fitting, metrics and drift statistics
// go through `deps.compute`: in the worker a thread of their own, so the sagas sharing this event loop keep running.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, eq, gte, isNotNull, lte, sql } from 'drizzle-orm';
import type { Db } from '../src/db/client';
import { failPermanentFast } from './shared';
import { approval as approvalTable, learningCycle, learningTrigger } from '../src/db/schema/learning';
import { modelVersion } from '../src/db/schema/models';
import { decision as decisionTable, label as labelTable } from '../src/db/schema/payments';
import { createInlineLearningCompute, type LearningCompute } from '../src/model/learning-compute';
import type { FeatureMatrix } from '../src/model/matrix';
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

// The loaders moved next to the trainer (they run on the compute thread); re-exported for existing callers.
export { holdoutSplit, loadLabeledDataset, type LabeledDataset, type LabeledRow } from '../src/model/training-data';

const cycleSource = (cycleId: string): string => `learning-loop:${cycleId}`;

// ---- the activities ---------------------------------------------------------------------------------------------

export function createLearningActivities(deps: LearningActivityDeps) {
  const { db } = deps;
  const logger = deps.logger?.child({ component: 'learning-activities' });
  const sessionFactory = deps.sessionFactory ?? ((bytes: Uint8Array) => createOrtSession(bytes));
  const loopActor = deps.actor ?? 'learning-loop';
  const compute = deps.compute ?? createInlineLearningCompute(db);

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
      const window = await compute.readDriftWindow({ asOfMs: asOf.getTime(), windowMs: input.windowMs, maxRows: deps.driftMaxRows ?? 5000, championVersion: champion.version });
      if (window.rows < input.minRows) return { status: 'skipped', reason: 'too-few-rows', rows: window.rows, champion };
      const report = await compute.detectDrift({ reference, current: window.current, options: window.scores ? { scores: window.scores } : {} });
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
        const ds = await compute.loadTrainingSet({
          asOfMs: asOf.getTime(),
          lookbackMs: t.lookbackMs,
          maxRows: t.maxRows,
          modelName: input.modelName,
          holdoutFraction: t.holdoutFraction,
          minRows: t.minRows,
          minPositives: t.minPositives,
        });
        const insufficient = { status: 'insufficient-data', rows: ds.rows, positives: ds.positives, minRows: t.minRows, minPositives: t.minPositives } as const;
        if (ds.status !== 'ready') return insufficient;
        const { train: trainSet, holdout } = ds;
        if (trainSet.positives === 0 || trainSet.positives === trainSet.y.length) return insufficient;
        beat({ step: 'training', rows: trainSet.y.length });
        const { model, holdoutMetrics, referenceProfile } = await compute.fitChallenger(
          { train: { X: trainSet.X, y: trainSet.y }, holdout: { X: holdout.X, y: holdout.y }, l2: t.l2, classWeight: t.classWeight },
          { onProgress: (progress) => beat(progress) },
        );
        const version = await nextVersion(db, input.modelName);
        const artifact = exportOnnx(model, { modelName: input.modelName, modelVersion: version, trainedAt: input.asOf });
        const lineage: ModelLineage = {
          datasetHash: ds.hash,
          rowCount: ds.rows,
          positives: ds.positives,
          labelTimeRange: ds.labelTimeRange,
          eventTimeRange: ds.eventTimeRange,
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
        logger?.info({ modelName: input.modelName, version: registered.version, rows: ds.rows, positives: ds.positives }, 'challenger registered');
        return {
          status: 'trained',
          version: registered.version,
          sha256: registered.sha256,
          datasetHash: ds.hash,
          rows: ds.rows,
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
        const ds = await compute.loadTrainingSet({
          asOfMs: asOf.getTime(),
          lookbackMs: input.training.lookbackMs,
          maxRows: input.training.maxRows,
          modelName: input.modelName,
          holdoutFraction: input.training.holdoutFraction,
          minRows: 0,
          minPositives: 0,
          holdoutOnly: true,
        });
        if (ds.status !== 'ready') throw new Error('a training set without minimums is always ready'); // narrows the type
        const { holdout } = ds;
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
