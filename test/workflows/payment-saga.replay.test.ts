// Recorded histories of the payment saga's main paths, replayed against today's workflow code. A FLAG saga waits
// days for its review, so a deploy meets sagas started by older code: a change that adds, drops or reorders a
// command without `patched()` fails here with a non-determinism error instead of failing those sagas in production.
//
// Fixtures are never rewritten. To add the histories of a new saga version, set its name and record once:
//   MAINSPRING_RECORD_SAGA_HISTORIES=v2 npx jest --selectProjects workflows test/workflows/payment-saga.replay
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleAllWorkflows, historyFixtureDir, readHistoryFixtures, writeHistoryFixture } from '../helpers/recorded-histories';
import { resolveReviewUpdate, statusQuery } from '../../workflows/payment-saga/payment-saga.messages';
import type { paymentSaga } from '../../workflows';
import { bridgedPayment } from '../helpers/saga-events';
import { createSagaWorld, fakeSagaActivities, type FakeOptions } from '../helpers/saga-activities';
import { createSagaTestEnv } from '../helpers/saga-env';

const FIXTURES = historyFixtureDir('payment-saga');
const recordAs = process.env.MAINSPRING_RECORD_SAGA_HISTORIES;

let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleAllWorkflows();
});

describe('paymentSaga replays its recorded histories', () => {
  const recorded = readHistoryFixtures(FIXTURES);

  it('has recorded histories of every main path of every saga version', () => {
    const names = recorded.map((r) => r.name);
    for (const version of ['v1', 'v2']) {
      for (const path of ['approved', 'in-review', 'released', 'compensated']) expect(names).toContain(`${version}-${path}`);
    }
  });

  it.each(recorded.map((r) => [r.name, r.history] as const))('%s replays without a non-determinism error', async (name, history) => {
    expect(history.events?.length).toBeGreaterThan(3);
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, `replay-${name}`);
  });
});

// Recording: each main path once, on the time-skipping server, with the in-memory activities of the workflow tests.
if (recordAs) describe(`recording saga histories as ${recordAs}`, () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createSagaTestEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  async function record(name: string, options: FakeOptions, drive: (handle: Awaited<ReturnType<typeof env.client.workflow.start<typeof paymentSaga>>>) => Promise<unknown>): Promise<void> {
    const taskQueue = `record-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: fakeSagaActivities(createSagaWorld(), options) });
    const input = bridgedPayment({ amount: 250 });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof paymentSaga>('paymentSaga', { taskQueue, workflowId: `payment-${input.envelope.id}`, args: [input] });
      await drive(handle);
      writeHistoryFixture(FIXTURES, `${recordAs}-${name}`, await handle.fetchHistory());
    });
  }

  const inReview = async (handle: { query: (q: typeof statusQuery) => Promise<{ phase: string }> }) => {
    for (let i = 0; i < 400 && (await handle.query(statusQuery)).phase !== 'in-review'; i++) await new Promise((r) => setTimeout(r, 25));
  };

  it('records the paths', async () => {
    await record('approved', { score: 0.1 }, (h) => h.result());
    await record('in-review', { score: 0.95 }, (h) => inReview(h));
    await record('released', { score: 0.95 }, async (h) => {
      await inReview(h);
      await h.executeUpdate(resolveReviewUpdate, { args: [{ verdict: 'legit', reviewer: 'replay-recorder' }] });
      return h.result();
    });
    await record('compensated', { score: 0.95, failures: { notifyFraudTeam: { times: 'always', nonRetryable: true } } }, (h) => h.result().catch(() => undefined));
  });
});
