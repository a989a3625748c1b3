// replayJob on the time-skipping test server: the plan is made once, each partition's checkpoint moves only with a
// finished chunk, the job continues as new every `chunksPerRun` chunks carrying plan and checkpoint, and a chunk cut
// short is run again from the same offset without counting twice.
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { replayJob } from '../../workflows';
import { progressQuery, REPLAY_JOB_WORKFLOW_TYPE, type ReplayJobParams } from '../../workflows/replay-job/replay-job.messages';
import { createTimeSkippingEnv } from '../helpers/time-skipping';
import { FakeReplayLog } from './replay-fakes';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
const quiet = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, log: () => undefined };

beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/replay-job/replay-job.workflow'), logger: quiet });
  env = await createTimeSkippingEnv();
});
afterAll(() => env?.teardown());

function params(overrides: Partial<ReplayJobParams> = {}): ReplayJobParams {
  return { replayId: `replay-test-${randomUUID()}`, kind: 'score', topic: 'payments.initiated', from: { offset: '0' }, to: { offset: '1000' }, modelName: 'fraud', modelVersion: 'fraud-v2', ...overrides };
}

async function run<T>(log: FakeReplayLog, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `replay-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: log.activities() });
  return worker.runUntil(fn(taskQueue));
}

describe('replayJob', () => {
  it('replays every offset once across continue-as-new runs, checkpoint by checkpoint', async () => {
    const log = new FakeReplayLog([
      { partition: 0, start: 3, end: 26, bad: [7, 20] },
      { partition: 1, start: 0, end: 9 },
      { partition: 2, start: 5, end: 5 },
    ]);
    await run(log, async (taskQueue) => {
      const p = params({ chunkSize: 5, chunksPerRun: 2 });
      const handle = await env.client.workflow.start<typeof replayJob>(REPLAY_JOB_WORKFLOW_TYPE, { taskQueue, workflowId: p.replayId, args: [{ params: p }] });
      const { report } = await handle.result();
      // 23 + 9 offsets in chunks of 5: 5 + 2 = 7 chunks, two per run → 4 runs; planned once.
      expect(log.plans).toHaveLength(1);
      expect(log.chunkCalls).toHaveLength(7);
      const starts = log.chunkCalls.map((c) => `${c.partition}:${c.from}`).sort();
      expect(starts).toEqual(['0:13', '0:18', '0:23', '0:3', '0:8', '1:0', '1:5']);
      expect(report.events).toEqual({ read: 32, replayed: 30, bad: 2, skipped: 0 });
      const progress = await handle.query(progressQuery);
      expect(progress).toMatchObject({ phase: 'done', runs: 4, chunks: 7, total: 32, totals: { read: 32, replayed: 30, bad: 2, skipped: 0 } });
      expect(progress.partitions.map((c) => [c.partition, c.next])).toEqual([
        [0, '26'],
        [1, '9'],
        [2, '5'],
      ]);
      expect(progress.report?.replayId).toBe(p.replayId);
      // The first run ended by continuing as new (the handle's own history is the last run's).
      const history = await env.client.workflow.getHandle(p.replayId, handle.firstExecutionRunId).fetchHistory();
      expect(history.events?.some((e) => e.workflowExecutionContinuedAsNewEventAttributes)).toBe(true);
    });
  });

  it('a chunk cut short after writing is run again from the same offset and counted once', async () => {
    const log = new FakeReplayLog([{ partition: 0, start: 0, end: 12 }]);
    log.failOnce.add('0:4');
    await run(log, async (taskQueue) => {
      const p = params({ chunkSize: 4 });
      const { report } = await env.client.workflow.execute<typeof replayJob>(REPLAY_JOB_WORKFLOW_TYPE, { taskQueue, workflowId: p.replayId, args: [{ params: p }] });
      expect(log.chunkCalls.map((c) => `${c.from}#${c.attempt}`)).toEqual(['0#1', '4#1', '4#2', '8#1']);
      expect(report.events).toEqual({ read: 12, replayed: 12, bad: 0, skipped: 0 });
      expect(log.decisions.size).toBe(12);
    });
  });

  it('refuses invalid parameters before reading anything', async () => {
    const log = new FakeReplayLog([{ partition: 0, start: 0, end: 1 }]);
    await run(log, async (taskQueue) => {
      const p = params({ modelVersion: '', from: { offset: '9' }, to: { offset: '3' } });
      const err = await env.client.workflow.execute<typeof replayJob>(REPLAY_JOB_WORKFLOW_TYPE, { taskQueue, workflowId: p.replayId, args: [{ params: p }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('ReplayInputInvalid');
      expect((cause as ApplicationFailure).message).toBe('a score replay needs a model version; to is before from');
      expect(log.plans).toHaveLength(0);
    });
  });
});
