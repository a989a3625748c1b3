// Recorded histories of the learning loop's main paths, replayed against today's workflow code. A loop runs for
// months, so every deploy meets loops started (or continued as new) by older code: a change that adds, drops or
// reorders a command without `patched()` fails here with a non-determinism error instead of failing every running
// loop in production.
//
// Fixtures are never rewritten. To add the histories of a new shape of the loop, set its name and record once:
//   MAINSPRING_RECORD_LEARNING_HISTORIES=v2 npx jest --selectProjects workflows test/workflows/learning-loop.replay
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TASK_QUEUES } from '../../src/temporal/task-queues';
import {
  approvePromotionSignal,
  approvePromotionUpdate,
  labelsSignal,
  LEARNING_LOOP_WORKFLOW_TYPE,
  learningWorkflowId,
  requestRetrainUpdate,
  type LearningLoopConfigInput,
  type LearningLoopStatus,
} from '../../workflows/learning-loop.messages';
import { ALICE, BASE_CONFIG, DAY, HOUR, labelBatch, LoopTestContext, MODEL, paired, until, World } from './learning-loop.harness';

const FIXTURES = join(__dirname, '..', 'fixtures', 'histories', 'learning-loop');
const recordAs = process.env.MAINSPRING_RECORD_LEARNING_HISTORIES;

let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  const noop = () => undefined;
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop } });
});

// Binary protobuf, exactly as the server returned it (the SDK's JSON helpers trip over jest's module sandbox).
const { History } = temporal.api.history.v1;

function fixtures(): Array<{ name: string; history: temporal.api.history.v1.History }> {
  if (!existsSync(FIXTURES)) return [];
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.history.pb'))
    .sort()
    .map((f) => ({ name: f.replace(/\.history\.pb$/, ''), history: History.decode(readFileSync(join(FIXTURES, f))) }));
}

describe('learningLoop replays its recorded histories', () => {
  const recorded = fixtures();

  it('has recorded histories of every main path', () => {
    const names = recorded.map((r) => r.name);
    // v1: the cycle inside the loop (before the learningCycle child workflow).
    for (const path of ['promoted', 'rolled-back', 'continued-as-new', 'continued-run']) expect(names).toContain(`v1-${path}`);
  });

  it.each(recorded.map((r) => [r.name, r.history] as const))('%s replays without a non-determinism error', async (name, history) => {
    expect(history.events?.length).toBeGreaterThan(10);
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, `replay-${name}`);
  });
});

// Recording: each main path once, on the time-skipping server, with the in-memory world of the workflow tests.
if (recordAs) describe(`recording learning histories as ${recordAs}`, () => {
  const ctx = new LoopTestContext();
  beforeAll(async () => {
    await ctx.setup();
    mkdirSync(FIXTURES, { recursive: true });
  });
  beforeEach(() => ctx.freshEnv());
  afterAll(() => ctx.teardown());

  const awaitingApproval = (s: LearningLoopStatus) => s.phase === 'awaiting-approval' && s.awaitingApproval !== null;

  async function save(name: string, history: unknown): Promise<void> {
    const file = join(FIXTURES, `${recordAs}-${name}.history.pb`);
    if (existsSync(file)) throw new Error(`${file} exists: fixtures are never rewritten`);
    writeFileSync(file, History.encode(History.fromObject(history as object)).finish());
  }

  /** Runs `drive` against a loop, then terminates it and hands its handle back for the histories. */
  async function record(world: World, config: LearningLoopConfigInput, drive: (h: WorkflowHandle) => Promise<void>): Promise<WorkflowHandle> {
    const taskQueue = `${TASK_QUEUES.learning}-${randomUUID()}`;
    const worker = await Worker.create({ connection: ctx.env.nativeConnection, taskQueue, workflowBundle: ctx.bundle, activities: world.activities() });
    let handle: WorkflowHandle | undefined;
    await worker.runUntil(async () => {
      handle = await ctx.env.client.workflow.start(LEARNING_LOOP_WORKFLOW_TYPE, { taskQueue, workflowId: `${learningWorkflowId(MODEL)}-${randomUUID()}`, args: [{ modelName: MODEL, config }] });
      await drive(handle);
      await handle.terminate('recorded');
    });
    return handle as WorkflowHandle;
  }

  const championWorld = async () => new World({ version: 'fraud-v1', trainedAt: new Date((await ctx.now()) - DAY).toISOString() });

  async function toApproval(h: WorkflowHandle): Promise<void> {
    await h.executeUpdate(requestRetrainUpdate, { args: [{ requestedBy: 'ops@example.com', reason: 'recording' }] });
    await until(h, (s) => s.phase === 'shadowing');
    await ctx.env.sleep(6 * HOUR);
    await until(h, awaitingApproval, 'approval request');
  }

  it('a full cycle: retrain, gate, shadow, approval (update), promotion, watch', async () => {
    const world = await championWorld();
    const h = await record(world, BASE_CONFIG, async (h) => {
      await toApproval(h);
      await h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: ALICE, reason: 'recording' }] });
      await until(h, (s) => s.phase === 'watching');
      await ctx.env.sleep(12 * HOUR);
      await until(h, (s) => s.history.length === 1 && s.history[0].outcome === 'promoted');
      await until(h, () => world.records.some((r) => r.type === 'cycle' && r.cycle.outcome === 'promoted'));
    });
    await save('promoted', await h.fetchHistory());
  });

  it('a rollback: approval by signal (Temporal UI), regression in the watch', async () => {
    const world = await championWorld();
    const h = await record(world, BASE_CONFIG, async (h) => {
      await toApproval(h);
      world.compare = (input) =>
        input.primaryVersion === 'fraud-v2' ? paired(input, 120, { logLoss: 0.15 }, { logLoss: 0.1 }) : paired(input, 200, { logLoss: 0.1 }, { logLoss: 0.099 });
      await h.signal(approvePromotionSignal, { version: 'fraud-v2', approver: ALICE, reason: 'recording' });
      await until(h, (s) => s.phase === 'watching');
      await ctx.env.sleep(4 * HOUR);
      await until(h, (s) => s.history.length === 1 && s.history[0].outcome === 'rolled-back' && s.champion?.version === 'fraud-v1');
      await until(h, () => world.records.some((r) => r.type === 'cycle' && r.cycle.outcome === 'rolled-back'));
    });
    await save('rolled-back', await h.fetchHistory());
  });

  it('continue-as-new after a cycle started by label volume (promoted), and the continued run', async () => {
    const world = await championWorld();
    const config: LearningLoopConfigInput = { ...BASE_CONFIG, triggers: { volumeLabels: 3, maxChampionAge: null, cooldown: '1h' }, continueAsNew: { afterCycles: 1 } };
    let firstRunId = '';
    const h = await record(world, config, async (h) => {
      firstRunId = (await h.describe()).runId;
      await h.signal(labelsSignal, labelBatch([{}, {}, {}]));
      await until(h, (s) => s.phase === 'shadowing');
      await ctx.env.sleep(6 * HOUR);
      await until(h, awaitingApproval, 'approval request');
      await h.executeUpdate(approvePromotionUpdate, { args: [{ version: 'fraud-v2', approver: ALICE }] });
      const deadline = Date.now() + 60_000;
      while ((await h.describe()).runId === firstRunId) {
        if (Date.now() > deadline) throw new Error('the loop did not continue as new');
        await ctx.env.sleep(4 * HOUR);
      }
      await until(h, (s) => s.runs === 2, 'continued as new');
      await h.signal(labelsSignal, labelBatch([{}]));
      await until(h, (s) => s.labels.total === 4);
    });
    await save('continued-as-new', await ctx.env.client.workflow.getHandle(h.workflowId, firstRunId).fetchHistory());
    await save('continued-run', await h.fetchHistory());
  });
});
