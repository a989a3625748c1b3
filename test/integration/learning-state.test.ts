// The learning phase the worker's gauge shows comes from the stored cycles (src/db/learning-state.ts), on the real
// PostgreSQL of the test stack.
import { inArray } from 'drizzle-orm';
import { createDb, type DbHandle } from '../../src/db/client';
import { currentLearningPhases, latestDriftReports } from '../../src/db/learning-state';
import { driftReport, learningCycle } from '../../src/db/schema';
import { testStackEnv, uniqueName } from '../helpers/stack-env';

const running = uniqueName('phase-running');
const ended = uniqueName('phase-ended');
let db: DbHandle;

beforeAll(() => {
  db = createDb(testStackEnv().databaseUrl, { max: 2 });
});

afterAll(async () => {
  await db.db.delete(learningCycle).where(inArray(learningCycle.modelName, [running, ended]));
  await db.db.delete(driftReport).where(inArray(driftReport.modelName, [running, ended]));
  await db.close();
});

function cycle(modelName: string, number: number, phase: 'retraining' | 'shadowing' | 'watching', startedAt: Date, endedAt: Date | null) {
  return {
    id: `${modelName}-cycle-${number}`,
    modelName,
    workflowId: `learning-${modelName}`,
    number,
    triggerId: `${modelName}-trigger-${number}`,
    triggerKind: 'volume' as const,
    triggerReason: 'test',
    phase,
    asOf: startedAt,
    startedAt,
    endedAt,
  };
}

it('shows the running cycle\'s phase, and idle once the latest cycle ended', async () => {
  const t = Date.now();
  await db.db.insert(learningCycle).values([
    cycle(running, 1, 'watching', new Date(t - 60_000), new Date(t - 50_000)),
    cycle(running, 2, 'shadowing', new Date(t - 10_000), null),
    cycle(ended, 1, 'retraining', new Date(t - 90_000), null),
    cycle(ended, 2, 'watching', new Date(t - 30_000), new Date(t - 5_000)),
  ]);
  const phases = new Map((await currentLearningPhases(db.db)).map((p) => [p.modelName, p.phase]));
  expect(phases.get(running)).toBe('shadowing');
  expect(phases.get(ended)).toBe('idle');
});

it('gives each model its latest drift report', async () => {
  const report = (rows: number) => ({ features: [], predictionDrift: null, share: 0, datasetDrift: rows > 1000, rows }) as unknown as typeof driftReport.$inferInsert.report;
  const t = Date.now();
  await db.db.insert(driftReport).values([
    { modelName: running, championVersion: 'v1', report: report(500), datasetDrift: false, createdAt: new Date(t - 60_000) },
    { modelName: running, championVersion: 'v1', report: report(2000), datasetDrift: true, createdAt: new Date(t - 1_000) },
    { modelName: ended, championVersion: 'v1', report: report(700), datasetDrift: false, createdAt: new Date(t - 30_000) },
  ]);
  const latest = new Map((await latestDriftReports(db.db)).map((r) => [r.modelName, r]));
  expect(latest.get(running)?.report.rows).toBe(2000);
  expect(latest.get(running)?.at.getTime()).toBe(t - 1_000);
  expect(latest.get(ended)?.report.rows).toBe(700);
});
