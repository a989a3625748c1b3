// The ceiling child: a worker of the bench workflows (bench/workflows/ceiling.workflow.ts, no-op activities) and a
// client on the same NativeConnection — only such a client's `requestEagerStart` hands the first workflow task to
// this worker — on the run's own task queue. On {type: 'measure'} it measures, reports {type: 'progress'} lines and
// answers {type: 'ceiling', result}. Worker options are the pipeline worker's (product defaults).
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config/env';
import { temporalDataConverter } from '../../src/temporal/client';
import { CEILING_VARIANTS, type CeilingChildOptions, type CeilingResult, type CeilingVariant } from '../lib/ceiling';
import { steadyWindow, summarize } from '../lib/stats';
import type { CeilingActivities } from '../workflows/ceiling.workflow';
import { childMain, childOptions, send } from './child';
import { clientOn, connectNative } from './services';

const noop: CeilingActivities = {
  enrich: async () => undefined,
  score: async () => 0.01,
  record: async () => undefined,
};

const WARMUP_CALLS = 5;

childMain(async () => {
  const options = childOptions<CeilingChildOptions>();
  const config = loadConfig();
  const connection = await connectNative(config);
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows/ceiling.workflow'), logger: quietBundlerLogger });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue,
    workflowBundle,
    activities: noop,
    shutdownGraceTime: '10s',
    dataConverter: temporalDataConverter(config.temporal),
  });
  const running = worker.run().catch((err: unknown) => {
    process.stderr.write(`ceiling worker crashed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
  const client = clientOn(config, connection);
  let sequence = 0;
  const progress = (line: string) => send({ type: 'progress', line });

  /** start → result of one workflow; ms and whether the server handed the first task back eagerly. */
  const once = async (workflowType: string, eager: boolean): Promise<{ ms: number; eagerlyStarted: boolean }> => {
    const t0 = performance.now();
    const handle = await client.workflow.start(workflowType, { taskQueue: options.taskQueue, workflowId: `${options.taskQueue}-${++sequence}`, requestEagerStart: eager });
    await handle.result();
    return { ms: performance.now() - t0, eagerlyStarted: handle.eagerlyStarted };
  };

  const throughput = async (): Promise<CeilingResult['emptyThroughput']> => {
    progress(`empty workflows, ${options.inFlight} in flight for ${options.throughputSeconds} s`);
    const until = Date.now() + options.throughputSeconds * 1000;
    const completions: number[] = [];
    let failed = 0;
    await Promise.all(
      Array.from({ length: options.inFlight }, async () => {
        while (Date.now() < until) {
          try {
            await once('emptyWorkflow', false);
            completions.push(Date.now());
          } catch {
            failed++;
          }
        }
      }),
    );
    const steady = steadyWindow(completions);
    return { perSecond: steady?.perSecond ?? null, completed: completions.length, failed, seconds: options.throughputSeconds };
  };

  const oneAtATime = async (): Promise<CeilingResult['oneAtATime']> => {
    const variants = Object.keys(CEILING_VARIANTS) as CeilingVariant[];
    progress(`one at a time: ${variants.length} variants × ${options.callsPerVariant} calls, interleaved`);
    const times = new Map(variants.map((v) => [v, [] as number[]]));
    const eager = new Map(variants.map((v) => [v, 0]));
    for (const v of variants) for (let i = 0; i < WARMUP_CALLS; i++) await once(CEILING_VARIANTS[v].workflowType, CEILING_VARIANTS[v].eager);
    // Interleaved so that a slow moment of the shared machine hits every variant alike.
    for (let i = 0; i < options.callsPerVariant; i++) {
      for (const v of variants) {
        const r = await once(CEILING_VARIANTS[v].workflowType, CEILING_VARIANTS[v].eager);
        times.get(v)!.push(r.ms);
        if (r.eagerlyStarted) eager.set(v, eager.get(v)! + 1);
      }
      if ((i + 1) % 50 === 0) progress(`one at a time: ${i + 1}/${options.callsPerVariant}`);
    }
    return Object.fromEntries(variants.map((v) => [v, { ms: summarize(times.get(v)!), calls: options.callsPerVariant, eagerlyStarted: eager.get(v)! }])) as CeilingResult['oneAtATime'];
  };

  const sagaShapedHistory = async (): Promise<CeilingResult['sagaShapedHistory']> => {
    const workflowId = `${options.taskQueue}-history`;
    const handle = await client.workflow.start('sagaShapedWorkflow', { taskQueue: options.taskQueue, workflowId, requestEagerStart: true });
    await handle.result();
    const events = (await handle.fetchHistory()).events ?? [];
    return { events: events.length, workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length };
  };

  const measure = async () => {
    try {
      const result: CeilingResult = { inFlight: options.inFlight, emptyThroughput: await throughput(), oneAtATime: await oneAtATime(), sagaShapedHistory: await sagaShapedHistory() };
      send({ type: 'ceiling', result });
    } catch (err) {
      send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  };

  return {
    onMessage: (m) => {
      if (m.type === 'measure') void measure();
    },
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
});

const nothing = () => undefined;
const quietBundlerLogger = { trace: nothing, debug: nothing, info: nothing, warn: nothing, error: console.error, log: nothing };
