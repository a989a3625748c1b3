// Training and evaluation activities: a challenger trained on the point-in-time training set and registered (once
// per cycle), challenger and champion measured on the same holdout, and the paired champion-vs-shadow comparison on
// live decisions. The CPU-bound steps go through `deps.compute` (a thread of its own in the worker).
import { and, eq, gte, isNotNull, lte } from 'drizzle-orm';
import { decision as decisionTable, label as labelTable } from '../../src/db/schema/payments';
import { createInlineLearningCompute } from '../../src/model/learning-compute';
import type { FeatureMatrix } from '../../src/model/matrix';
import { exportOnnx } from '../../src/model/onnx-export';
import { getVersion, listVersions, nextVersion, registerVersion, type ModelLineage } from '../../src/model/registry';
import { createOrtSession } from '../../src/model/runtime';
import { KEY_SPLIT_HASH } from '../../src/model/split';
import type { PairedComparison, QualityMetrics } from '../../schemas/learning';
import type { ComparePairedInput, EvaluateHoldoutInput, EvaluateHoldoutResult, TrainChallengerInput, TrainChallengerResult } from '../../schemas/learning-activities';
import { beat } from '../activity-context';
import { invalid, parseTime, permanentFast, toQualityMetrics, type LearningActivityDeps } from './shared';

const cycleSource = (cycleId: string): string => `learning-loop:${cycleId}`;

export function createTrainingActivities(deps: LearningActivityDeps) {
  const { db } = deps;
  const logger = deps.logger?.child({ component: 'learning-activities' });
  const sessionFactory = deps.sessionFactory ?? ((bytes: Uint8Array) => createOrtSession(bytes));
  const compute = deps.compute ?? createInlineLearningCompute(db);

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

  return {
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
            split: `splitByKey(paymentId, salt=${input.modelName}, hash=${KEY_SPLIT_HASH})`,
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

  };
}
