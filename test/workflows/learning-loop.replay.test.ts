// Recorded histories of the learning loop's main paths, replayed against today's workflow code. A loop runs for
// months, so every deploy meets loops started (or continued as new) by older code: a change that adds, drops or
// reorders a command without `patched()` fails here with a non-determinism error instead of failing every running
// loop in production.
//
// v1: the loop before the learningCycle child workflow (the cycle inline); v2: each cycle a child (`-cycle` files hold
// the child's history). Fixtures are never rewritten. To add the histories of a new shape, set its name, record once
// and add the name to the first test:
//   MAINSPRING_RECORD_LEARNING_HISTORIES=v3 npx jest --selectProjects workflows --testPathPatterns learning-loop.replay
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleAllWorkflows, historyFixtureDir, readHistoryFixtures, writeHistoryFixture } from '../helpers/recorded-histories';
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
} from '../../workflows/learning-loop/learning-loop.messages';
import { learningCycleWorkflowId } from '../../workflows/learning-cycle/learning-cycle.messages';
import { ALICE, BASE_CONFIG, DAY, HOUR, labelBatch, LoopTestContext, MODEL, paired, until, World } from './learning-loop.harness';

const FIXTURES = historyFixtureDir('learning-loop');
const recordAs = process.env.MAINSPRING_RECORD_LEARNING_HISTORIES;

let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleAllWorkflows();
});

describe('learningLoop replays its recorded histories', () => {
  const recorded = readHistoryFixtures(FIXTURES);

  it('has recorded histories of every main path', () => {
    const names = recorded.map((r) => r.name);
    // v1: the cycle inside the loop (before the learningCycle child workflow). Loops running v1 code when the child
    // shipped replay these: the patch keeps their inline cycle.
    for (const path of ['promoted', 'rolled-back', 'continued-as-new', 'continued-run']) expect(names).toContain(`v1-${path}`);
    // v2: each cycle a learningCycle child; the loop's history and the cycle's (`-cycle`) recorded side by side.
    for (const path of ['promoted', 'rolled-back', 'continued-as-new']) expect(names).toEqual(expect.arrayContaining([`v2-${path}`, `v2-${path}-cycle`]));
    expect(names).toContain('v2-continued-run');
  });

  it.each(recorded.map((r) => [r.name, r.history] as const))('%s replays without a non-determinism error', async (name, history) => {
    expect(history.events?.length).toBeGreaterThan(10);
    // Recorded under the production id: the loop derives its cycles' ids from its own.
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, learningWorkflowId(MODEL));
  });
});

// Recording: each main path once, on the time-skipping server, with the in-memory world of the workflow tests.
if (recordAs) describe(`recording learning histories as ${recordAs}`, () => {
  const ctx = new LoopTestContext();
  beforeAll(async () => {
    await ctx.setup();
  });
  beforeEach(() => ctx.freshEnv());
  afterAll(() => ctx.teardown());

  const awaitingApproval = (s: LearningLoopStatus) => s.phase === 'awaiting-approval' && s.awaitingApproval !== null;

  async function save(name: string, history: unknown): Promise<void> {
    writeHistoryFixture(FIXTURES, `${recordAs}-${name}`, history);
  }

  /** The history of the loop's first cycle, when it ran as a learningCycle child (v2 on). */
  async function saveCycle(name: string, loopWorkflowId: string): Promise<void> {
    const cycle = ctx.env.client.workflow.getHandle(learningCycleWorkflowId(loopWorkflowId, 1));
    const history = await cycle.fetchHistory().catch(() => null);
    if (history) await save(`${name}-cycle`, history);
  }

  /** Runs `drive` against a loop, then terminates it and hands its handle back for the histories. */
  async function record(world: World, config: LearningLoopConfigInput, drive: (h: WorkflowHandle) => Promise<void>): Promise<WorkflowHandle> {
    const taskQueue = `${TASK_QUEUES.learning}-${randomUUID()}`;
    const worker = await Worker.create({ connection: ctx.env.nativeConnection, taskQueue, workflowBundle: ctx.bundle, activities: world.activities() });
    let handle: WorkflowHandle | undefined;
    await worker.runUntil(async () => {
      // The production id (a fresh test server per recording): replays start the same child ids.
      handle = await ctx.env.client.workflow.start(LEARNING_LOOP_WORKFLOW_TYPE, { taskQueue, workflowId: learningWorkflowId(MODEL), args: [{ modelName: MODEL, config }] });
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
    await saveCycle('promoted', h.workflowId);
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
    await saveCycle('rolled-back', h.workflowId);
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
    await saveCycle('continued-as-new', h.workflowId);
  });
});
