// Drift activity: the recent logged vectors (and champion scores) against the champion's training reference, the
// statistics on the compute thread, the report stored in the registry.
import { getReferenceProfile, recordDriftReport } from '../../src/model/registry';
import { createInlineLearningCompute } from '../../src/model/learning-compute';
import type { CheckDriftInput, CheckDriftResult } from '../../schemas/learning-activities';
import { createChampionReader, parseTime, type LearningActivityDeps } from './shared';

export function createDriftActivities(deps: LearningActivityDeps) {
  const { db } = deps;
  const logger = deps.logger?.child({ component: 'learning-activities' });
  const compute = deps.compute ?? createInlineLearningCompute(db);
  const { currentChampion } = createChampionReader(db);
  return {
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

  };
}
