import { desc, isNull, sql } from 'drizzle-orm';
import type { Db } from './client';
import { driftReport, learningCycle } from './schema';

/**
 * The phase each model's learning loop is in, from its latest stored cycle: that cycle's phase while it runs, `idle`
 * (watching for the next trigger) once it ended. Models whose loop never started a cycle are not listed.
 */
export async function currentLearningPhases(db: Db): Promise<Array<{ modelName: string; phase: string }>> {
  const rows = await db
    .selectDistinctOn([learningCycle.modelName], {
      modelName: learningCycle.modelName,
      phase: sql<string>`case when ${isNull(learningCycle.endedAt)} then ${learningCycle.phase} else 'idle' end`,
    })
    .from(learningCycle)
    .orderBy(learningCycle.modelName, desc(learningCycle.startedAt));
  return rows;
}

/** Each model's latest stored drift report (the worker's drift gauges show it, whichever worker ran the check). */
export async function latestDriftReports(db: Db) {
  const rows = await db
    .selectDistinctOn([driftReport.modelName], { modelName: driftReport.modelName, report: driftReport.report, at: driftReport.createdAt })
    .from(driftReport)
    .orderBy(driftReport.modelName, desc(driftReport.createdAt));
  return rows;
}
