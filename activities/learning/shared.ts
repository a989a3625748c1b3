// What the learning activities share: their dependencies, the errors they never retry, metric summaries
// and the champion lookup. The activities themselves live by concern next to this file.
import { ApplicationFailure } from '@temporalio/activity';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client';
import { modelVersion } from '../../src/db/schema/models';
import type { LearningCompute } from '../../src/model/learning-compute';
import type { ModelMetrics } from '../../src/model/metrics';
import { getAliases } from '../../src/model/registry';
import type { ScoringSession } from '../../src/model/runtime';
import type { Logger } from '../../src/observability/logger';
import type { ChampionInfo, QualityMetrics } from '../../schemas/learning';
import type { PermanentFailureCode } from '../../schemas/failures';
import { failPermanentFast } from '../shared';

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

/** Errors whose code no retry can fix (schemas/failures.ts) fail the activity for good. */
export function permanentFast<T>(fn: () => Promise<T>): Promise<T> {
  return failPermanentFast(fn);
}

export function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'LearningInputInvalid' satisfies PermanentFailureCode, nonRetryable: true });
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

export function parseTime(value: string, what: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw invalid(`${what} is not a valid time: ${JSON.stringify(value)}`);
  return d;
}

export function createChampionReader(db: Db) {
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

  async function currentChampion(modelName: string): Promise<ChampionInfo | null> {
    const aliases = await getAliases(db, modelName);
    return aliases.champion ? championInfo(modelName, aliases.champion) : null;
  }

  return { championInfo, currentChampion };
}
