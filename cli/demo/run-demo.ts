import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { and, gte, inArray, sql } from 'drizzle-orm';
import type { Registry } from 'prom-client';
import {
  approvePromotionUpdate,
  LEARNING_LOOP_WORKFLOW_TYPE,
  learningWorkflowId,
  statusQuery,
  updateConfigUpdate,
  type LearningLoopConfigInput,
  type LearningLoopStatus,
} from '../../workflows/learning-loop/learning-loop.messages';
import type { Db } from '../../src/db/client';
import { decision, paymentEvent } from '../../src/db/schema';
import { getAliases, promote } from '../../src/model/registry';
import { generatePopulation, generateTrainingSet } from '../../src/model/synthetic';
import { trainAndRegister } from '../../src/model/training-pipeline';
import { TASK_QUEUES } from '../../src/temporal/task-queues';
import type { DemoSnapshot, LatencySummary } from './live-view';
import { seedRiskProfiles } from './seed';

export const DEMO_APPROVER = 'demo-approver';

/**
 * The learning loop's settings for a demo of minutes instead of days: retrain after a few hundred labels, check
 * drift every 20 s, shadow for at most a minute, and wait for approval up to 10 minutes.
 */
export function demoLearningConfig(approvers: readonly string[]): LearningLoopConfigInput {
  return {
    triggers: { volumeLabels: 400, cooldown: '45s', maxChampionAge: null },
    // 90 s: at the default 6/s a window holds ~500 rows (KS tests need that many to see the injected shift), and
    // drift injected at 40 % of a two-minute run still makes up most of it before the stream ends.
    drift: { checkInterval: '20s', window: '90s', minRows: 200 },
    // A few minutes of the demo's 6 % fraud stream (DEMO_FRAUD_RATE) give dozens of fraud labels: small but honest minimums.
    training: { minRows: 300, minPositives: 8, holdoutFraction: 0.3 },
    gate: { minHoldoutRows: 100, minHoldoutPositives: 2 },
    shadow: { minLabeledSamples: 150, maxDuration: '60s', pollInterval: '10s' },
    approval: { approvers: [...new Set([...approvers, DEMO_APPROVER])], deadline: '10m' },
    watch: { duration: '45s', checkInterval: '15s', minLabeledSamples: 100 },
  } as LearningLoopConfigInput;
}

/** Seeds the online store with the synthetic population and makes sure a champion serves from the first event. */
export async function prepareDemoData(db: Db, options: { modelName: string; seed: number; users: number; progress: (line: string) => void }): Promise<string> {
  const { users } = generatePopulation({ seed: options.seed, users: options.users });
  await seedRiskProfiles(db, users);
  options.progress(`seeded ${users.length} user risk profiles`);
  const aliases = await getAliases(db, options.modelName);
  if (aliases.champion) {
    options.progress(`champion ${aliases.champion} already registered`);
    return aliases.champion;
  }
  options.progress('training the first champion on 100k synthetic historical payments…');
  const history = generateTrainingSet({ rows: 100_000, seed: options.seed, users: options.users });
  const result = await trainAndRegister(
    db,
    { X: history.X, y: history.y, eventTimeMs: history.eventTimeMs, labelTimeMs: history.labelTimeMs, source: `synthetic-history:seed=${options.seed}` },
    { modelName: options.modelName, seed: options.seed },
  );
  await promote(db, options.modelName, result.version.version, 'demo-bootstrap', 'first champion from synthetic history');
  options.progress(`champion ${result.version.version}: holdout AUC ${result.holdoutMetrics.rocAuc.toFixed(3)}`);
  return result.version.version;
}

/** Starts the model's learning loop with demo settings, or applies them to the loop that already runs. */
export async function ensureLearningLoop(client: Client, modelName: string, config: LearningLoopConfigInput): Promise<void> {
  const workflowId = learningWorkflowId(modelName);
  try {
    await client.workflow.start(LEARNING_LOOP_WORKFLOW_TYPE, { workflowId, taskQueue: TASK_QUEUES.learning, args: [{ modelName, config }] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    await client.workflow.getHandle(workflowId).executeUpdate(updateConfigUpdate, { args: [{ changedBy: 'mainspring start', config }] });
  }
}

/** For the demo stream: which payments have a decision row (a label waits for it). */
export function decidedPayments(db: Db): (paymentIds: string[]) => Promise<Set<string>> {
  return async (paymentIds) => {
    const rows = await db.select({ paymentId: decision.paymentId }).from(decision).where(inArray(decision.paymentId, paymentIds));
    return new Set(rows.map((r) => r.paymentId));
  };
}

export async function learningStatus(client: Client, modelName: string): Promise<LearningLoopStatus | undefined> {
  return client.workflow.getHandle(learningWorkflowId(modelName)).query(statusQuery).catch(() => undefined);
}

export async function autoApprove(client: Client, modelName: string, version: string): Promise<void> {
  await client.workflow
    .getHandle(learningWorkflowId(modelName))
    .executeUpdate(approvePromotionUpdate, { args: [{ version, approver: DEMO_APPROVER, reason: 'demo --auto-approve' }] });
}

async function metricSum(registry: Registry, name: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return ((metric?.values ?? []) as Array<{ value: number }>).reduce((sum, v) => sum + v.value, 0);
}

const eventToDecisionMs = sql`extract(epoch from ${decision.decidedAt} - ${paymentEvent.eventTime}) * 1000`;

/** Event time → decision recorded, over every decision since `since` (the summary; the live view shows the last minute). */
export async function readLatencySummary(db: Db, since: Date): Promise<LatencySummary> {
  const [row] = await db
    .select({
      decided: sql<number>`count(*)::int`,
      p50: sql<number | null>`percentile_cont(0.5) within group (order by ${eventToDecisionMs})`,
      p99: sql<number | null>`percentile_cont(0.99) within group (order by ${eventToDecisionMs})`,
      max: sql<number | null>`max(${eventToDecisionMs})`,
    })
    .from(decision)
    .innerJoin(paymentEvent, sql`${paymentEvent.paymentId} = ${decision.paymentId}`)
    .where(gte(decision.decidedAt, since));
  const ms = (v: number | string | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));
  return { decided: row?.decided ?? 0, p50Ms: ms(row?.p50), p99Ms: ms(row?.p99), maxMs: ms(row?.max) };
}

/** One reading of everything the live view shows; all from the real systems (metrics, tables, the loop's query). */
export async function readSnapshot(deps: {
  db: Db;
  client: Client;
  bridgeMetrics: Registry;
  modelName: string;
  since: Date;
  produced: number;
  labels: number;
  driftStarted: boolean;
  elapsedSeconds: number;
  durationSeconds: number;
}): Promise<{ snapshot: DemoSnapshot; learning?: LearningLoopStatus }> {
  const [counts] = await deps.db
    .select({
      completed: sql<number>`count(*)::int`,
      flagged: sql<number>`(count(*) filter (where ${decision.decision} = 'FLAG'))::int`,
      fallbacks: sql<number>`(count(*) filter (where ${decision.fallback}))::int`,
    })
    .from(decision)
    .where(gte(decision.decidedAt, deps.since));
  // Event time → decision recorded, over the last minute of decisions.
  const [latency] = await deps.db
    .select({
      p50: sql<number | null>`percentile_cont(0.5) within group (order by ${eventToDecisionMs})`,
      p99: sql<number | null>`percentile_cont(0.99) within group (order by ${eventToDecisionMs})`,
    })
    .from(decision)
    .innerJoin(paymentEvent, sql`${paymentEvent.paymentId} = ${decision.paymentId}`)
    .where(and(gte(decision.decidedAt, deps.since), gte(decision.decidedAt, sql`now() - interval '60 seconds'`)));
  const [aliases, learning, accepted, dlq, lag] = await Promise.all([
    getAliases(deps.db, deps.modelName),
    learningStatus(deps.client, deps.modelName),
    metricSum(deps.bridgeMetrics, 'mainspring_bridge_accepted_total'),
    metricSum(deps.bridgeMetrics, 'mainspring_bridge_dlq_total'),
    metricSum(deps.bridgeMetrics, 'mainspring_bridge_lag'),
  ]);
  const nextTrigger = learning
    ? learning.phase !== 'idle'
      ? `cycle ${learning.cycle?.number ?? ''} running`
      : `${Math.max(0, learning.config.triggers.volumeLabels - learning.labels.sinceLastTraining)} labels to volume trigger; drift check ${learning.nextDriftCheckAt ? new Date(learning.nextDriftCheckAt).toLocaleTimeString() : 'off'}`
    : 'loop not started yet';
  return {
    learning,
    snapshot: {
      elapsedSeconds: deps.elapsedSeconds,
      durationSeconds: deps.durationSeconds,
      produced: deps.produced,
      labels: deps.labels,
      accepted,
      completed: counts?.completed ?? 0,
      backlog: Math.max(0, deps.produced - (counts?.completed ?? 0)),
      flagged: counts?.flagged ?? 0,
      fallbacks: counts?.fallbacks ?? 0,
      dlq,
      lag,
      latencyP50Ms: latency?.p50 === null || latency?.p50 === undefined ? null : Number(latency.p50),
      latencyP99Ms: latency?.p99 === null || latency?.p99 === undefined ? null : Number(latency.p99),
      champion: aliases.champion,
      shadow: aliases.shadow,
      learningPhase: learning?.phase ?? '–',
      nextTrigger,
      driftStarted: deps.driftStarted,
    },
  };
}
