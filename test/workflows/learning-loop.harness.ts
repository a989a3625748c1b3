// Test harness of the learningLoop workflow tests: one time-skipping environment and one workflow bundle per test
// file, and an in-memory "world" (registry aliases, labels, controlled measurements) behind in-test activities. The
// workflow's logic is what is under test; the real activities are exercised by test/integration/learning-loop.test.ts.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { LearningActivities } from '../../activities/learning.activities';
import { TASK_QUEUES } from '../../src/temporal/task-queues';
import type { EventBatchSignal } from '../../src/kafka/routes';
import {
  LEARNING_LOOP_WORKFLOW_TYPE,
  learningWorkflowId,
  statusQuery,
  type LearningLoopConfigInput,
  type LearningLoopStatus,
} from '../../workflows/learning-loop/learning-loop.messages';
import type {
  ChampionInfo,
  CheckDriftInput,
  CheckDriftResult,
  ComparePairedInput,
  EvaluateHoldoutInput,
  EvaluateHoldoutResult,
  LearningRecord,
  PairedComparison,
  QualityMetrics,
  TrainChallengerInput,
  TrainChallengerResult,
} from '../../workflows/learning/types';
import { createTimeSkippingEnv } from '../helpers/time-skipping';

export const MODEL = 'fraud';
export const ALICE = 'alice@example.com';

/** Quick, deterministic settings: no periodic drift check, no schedule, short waits; tests override what they test. */
export const BASE_CONFIG: LearningLoopConfigInput = {
  triggers: { volumeLabels: 0, maxChampionAge: null, cooldown: '1h' },
  drift: { checkInterval: null },
  gate: { minHoldoutRows: 1, minHoldoutPositives: 1 },
  shadow: { minLabeledSamples: 100, maxDuration: '2d', pollInterval: '6h' },
  approval: { approvers: [ALICE, 'Bob@Example.com'], deadline: '24h' },
  watch: { duration: '12h', checkInterval: '4h', minLabeledSamples: 50, maxRegression: 0.02 },
};

export function quality(overrides: Partial<QualityMetrics> = {}): QualityMetrics {
  return { rows: 1000, positives: 50, rocAuc: 0.9, prAuc: 0.6, logLoss: 0.1, brier: 0.03, precision: 0.8, recall: 0.5, ...overrides };
}

export function paired(input: ComparePairedInput, samples: number, primary: Partial<QualityMetrics>, secondary: Partial<QualityMetrics>): PairedComparison {
  return {
    primaryVersion: input.primaryVersion,
    secondaryVersion: input.secondaryVersion,
    samples,
    positives: Math.round(samples / 10),
    primary: quality({ rows: samples, ...primary }),
    secondary: quality({ rows: samples, ...secondary }),
    logLossDelta: null,
    since: input.since,
    until: input.until,
  };
}

/** In-memory registry + measurements the tests steer. */
export class World {
  aliases: { champion: string | null; shadow: string | null; previous: string | null } = { champion: null, shadow: null, previous: null };
  trainedAt = new Map<string, string>();
  aliasHistory: Array<{ alias: string; from: string | null; to: string | null; actor: string; reason: string }> = [];
  labels = new Map<string, string>();
  records: LearningRecord[] = [];
  calls: Record<string, number> = {};
  versionSeq = 1;

  /** Default: a challenger trained on enough data. */
  train: (input: TrainChallengerInput) => TrainChallengerResult = (input) => {
    const version = `${MODEL}-v${++this.versionSeq}`;
    this.trainedAt.set(version, input.asOf);
    return {
      status: 'trained',
      version,
      sha256: 'a'.repeat(64),
      datasetHash: 'b'.repeat(64),
      rows: 5000,
      positives: 250,
      trainRows: 4000,
      holdoutRows: 1000,
      labelTimeRange: null,
      holdoutMetrics: quality(),
      reused: false,
      durationMs: 5,
    };
  };
  /** Default: the challenger beats the champion on the holdout. */
  holdout: (input: EvaluateHoldoutInput) => EvaluateHoldoutResult = (input) => ({
    asOf: input.asOf,
    holdoutRows: 1000,
    holdoutPositives: 50,
    datasetHash: 'b'.repeat(64),
    challenger: quality({ prAuc: 0.65, logLoss: 0.09 }),
    champion: input.championVersion ? quality({ prAuc: 0.6, logLoss: 0.1 }) : null,
  });
  /** Default: enough samples, shadow / new champion slightly better. */
  compare: (input: ComparePairedInput) => PairedComparison = (input) => paired(input, 200, { logLoss: 0.1 }, { logLoss: 0.099 });
  drift: (input: CheckDriftInput) => CheckDriftResult = () => ({ status: 'skipped', reason: 'too-few-rows', rows: 0, champion: this.championInfo() });

  constructor(champion?: { version: string; trainedAt: string }) {
    if (champion) {
      this.aliases.champion = champion.version;
      this.trainedAt.set(champion.version, champion.trainedAt);
    }
  }

  championInfo(): ChampionInfo | null {
    const v = this.aliases.champion;
    return v ? { version: v, trainedAt: this.trainedAt.get(v) ?? new Date(0).toISOString(), hasReference: true } : null;
  }

  count(name: string): number {
    return this.calls[name] ?? 0;
  }

  private move(alias: 'champion' | 'shadow' | 'previous', to: string | null, actor: string, reason: string): void {
    this.aliasHistory.push({ alias, from: this.aliases[alias], to, actor, reason });
    this.aliases[alias] = to;
  }

  activities(): LearningActivities {
    const called = (name: string) => {
      this.calls[name] = (this.calls[name] ?? 0) + 1;
    };
    const acts: LearningActivities = {
      recordLabels: async (input) => {
        called('recordLabels');
        let inserted = 0;
        let unchanged = 0;
        for (const l of input.labels) {
          if (this.labels.has(l.paymentId)) unchanged++;
          else {
            this.labels.set(l.paymentId, l.label);
            inserted++;
          }
        }
        return { inserted, updated: 0, unchanged };
      },
      getChampion: async () => {
        called('getChampion');
        return this.championInfo();
      },
      checkDrift: async (input) => {
        called('checkDrift');
        return this.drift(input);
      },
      trainChallenger: async (input) => {
        called('trainChallenger');
        return this.train(input);
      },
      evaluateHoldout: async (input) => {
        called('evaluateHoldout');
        return this.holdout(input);
      },
      setShadowAlias: async (input) => {
        called('setShadowAlias');
        const changed = this.aliases.shadow !== input.version;
        if (changed) this.move('shadow', input.version, input.actor, input.reason);
        return { changed, ...this.aliases };
      },
      comparePaired: async (input) => {
        called('comparePaired');
        return this.compare(input);
      },
      promoteVersion: async (input) => {
        called('promoteVersion');
        if (this.aliases.champion === input.version) return { changed: false, previousChampion: this.aliases.previous, ...this.aliases };
        const previous = this.aliases.champion;
        if (previous) this.move('previous', previous, input.approver, input.reason);
        this.move('champion', input.version, input.approver, input.reason);
        if (this.aliases.shadow === input.version) this.move('shadow', null, input.approver, `promoted: ${input.reason}`);
        return { changed: true, previousChampion: previous, ...this.aliases };
      },
      rollbackVersion: async (input) => {
        called('rollbackVersion');
        if (this.aliases.champion !== input.expectedChampion) return { changed: false, ...this.aliases };
        const { champion, previous } = this.aliases;
        this.move('champion', previous, 'learning-loop', input.reason);
        this.move('previous', champion, 'learning-loop', input.reason);
        return { changed: true, ...this.aliases };
      },
      persistRecords: async (input) => {
        called('persistRecords');
        this.records.push(...input.records);
        return { written: input.records.length };
      },
    };
    return acts;
  }
}

export class LoopTestContext {
  env!: TestWorkflowEnvironment;
  bundle!: WorkflowBundleWithSourceMap;

  /** Bundles the workflows once per test file (the loop starts learningCycle children and replay jobs). */
  async setup(): Promise<void> {
    this.bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietBundlerLogger });
  }

  async teardown(): Promise<void> {
    await this.env?.teardown();
  }

  /**
   * A fresh test server per test (it starts in a fraction of a second): an activity that completes after its
   * workflow was terminated would otherwise keep the server's time-skipping lock and stall the next test's sleeps.
   */
  async freshEnv(): Promise<void> {
    await this.env?.teardown();
    this.env = await createTimeSkippingEnv();
    // The test server knows no custom search attributes until told (the dev server gets them from the stack manager).
    await this.env.connection.operatorService.addSearchAttributes({ namespace: this.env.namespace ?? 'default', searchAttributes: { LearningPhase: 2 } });
  }

  async now(): Promise<number> {
    return this.env.currentTimeMs();
  }

  /** Starts a loop on a fresh task queue with `world`'s activities, runs `fn`, terminates the loop. */
  async run(world: World, config: LearningLoopConfigInput, fn: (h: WorkflowHandle, world: World) => Promise<void>, modelName = MODEL): Promise<void> {
    const taskQueue = `${TASK_QUEUES.learning}-${randomUUID()}`;
    const worker = await Worker.create({ connection: this.env.nativeConnection, taskQueue, workflowBundle: this.bundle, activities: world.activities() });
    await worker.runUntil(async () => {
      const handle = await this.env.client.workflow.start(LEARNING_LOOP_WORKFLOW_TYPE, {
        taskQueue,
        workflowId: `${learningWorkflowId(modelName)}-${randomUUID()}`,
        args: [{ modelName, config }],
      });
      try {
        await fn(handle, world);
      } finally {
        await handle.terminate('test done').catch(() => undefined);
      }
    });
  }
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta),
  log: () => undefined,
};

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The refusal of an update by its validator: the ApplicationFailure's message and code. */
export async function refusal(p: Promise<unknown>): Promise<{ message: string; code: string | undefined; type: string | undefined }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    const failure = cause as ApplicationFailure;
    return { message: failure.message, code: (failure.details?.[0] as { code?: string } | undefined)?.code, type: failure.type ?? undefined };
  }
  throw new Error('the update was accepted');
}

export async function status(h: WorkflowHandle): Promise<LearningLoopStatus> {
  return h.query(statusQuery);
}

/**
 * Polls the status query (no time passes on the test server meanwhile) until `done` holds. A query can stall while
 * the loop continues as new: each one gets an RPC deadline and is simply asked again. A deadline, not a race: an
 * abandoned query stays open on the test server and holds its time-skipping lock, so a later `env.sleep(HOUR)`
 * then ran in real time until the connection dropped (~3 minutes).
 */
export async function until(h: WorkflowHandle, done: (s: LearningLoopStatus) => boolean, what = 'status condition'): Promise<LearningLoopStatus> {
  const deadline = Date.now() + 20_000;
  let last: LearningLoopStatus | undefined;
  while (Date.now() < deadline) {
    last = (await h.client.withDeadline(Date.now() + 5_000, () => status(h)).catch(() => undefined)) ?? last;
    if (last && done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} not reached in 20000 ms; last phase: ${last?.phase ?? 'no answer'}`);
}

let seq = 0;
/** A payments.labeled batch as the bridge delivers it. */
export function labelBatch(items: Array<{ paymentId?: string; eventId?: string; label?: 'fraud' | 'legit' }>): EventBatchSignal<'payments.labeled'> {
  return {
    events: items.map((i) => {
      seq++;
      return {
        envelope: {
          id: i.eventId ?? `evt-label-${seq}-${randomUUID()}`,
          type: 'payments.labeled',
          source: 'urn:test',
          specversion: '1.0',
          time: '2025-02-01T09:30:00.000Z',
          subject: i.paymentId ?? `pay-${seq}`,
          dataschema: 'payments.labeled/v1',
          correlationid: `corr-${seq}`,
          data: { paymentId: i.paymentId ?? `pay-${seq}`, label: i.label ?? 'legit', source: 'chargeback', labeledAt: '2025-02-01T09:30:00.000Z', modelName: MODEL },
        },
        kafka: { topic: 'payments.labeled', partition: 0, offset: String(seq) },
      };
    }),
  };
}

export function driftBatch(reportId: string, opts: { datasetDrift?: boolean; eventId?: string; share?: number } = {}): EventBatchSignal<'model.drift-detected'> {
  seq++;
  return {
    events: [
      {
        envelope: {
          id: opts.eventId ?? `evt-drift-${seq}-${randomUUID()}`,
          type: 'model.drift-detected',
          source: 'urn:test',
          specversion: '1.0',
          time: '2025-02-01T09:30:00.000Z',
          subject: MODEL,
          dataschema: 'model.drift-detected/v1',
          correlationid: `corr-${seq}`,
          data: { modelName: MODEL, reportId, datasetDrift: opts.datasetDrift ?? true, driftedFeatures: ['amount', 'velocity_60s'], share: opts.share ?? 0.6 },
        },
        kafka: { topic: 'model.drift-detected', partition: 0, offset: String(seq) },
      },
    ],
  };
}

export function retrainBatch(requestedBy: string, reason: string, eventId?: string): EventBatchSignal<'model.retrain-requested'> {
  seq++;
  return {
    events: [
      {
        envelope: {
          id: eventId ?? `evt-retrain-${seq}-${randomUUID()}`,
          type: 'model.retrain-requested',
          source: 'urn:test',
          specversion: '1.0',
          time: '2025-02-01T09:30:00.000Z',
          subject: MODEL,
          dataschema: 'model.retrain-requested/v1',
          correlationid: `corr-${seq}`,
          data: { modelName: MODEL, requestedBy, reason },
        },
        kafka: { topic: 'model.retrain-requested', partition: 0, offset: String(seq) },
      },
    ],
  };
}
