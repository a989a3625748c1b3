import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../src/config/env';
import { ShutdownSequence } from '../src/lifecycle/shutdown';
import type { Logger } from '../src/observability/logger';
import { temporalConnectionOptions, temporalDataConverter } from '../src/temporal/client';
import { startBridgeProcess, type BridgeProcessOptions, type RunningProcess } from './bridge-process';
import { startWorkerProcess, type WorkerProcessOptions } from './worker-process';

export interface RunProcessOptions extends WorkerProcessOptions {
  bridge?: Omit<BridgeProcessOptions, 'temporal' | 'tracing'>;
}

/**
 * Bridge and worker in one process on one Temporal connection (`mainspring run`, `npm start`). The bridge's client
 * shares the worker's NativeConnection, so its starts ask for eager execution: the server returns the first workflow
 * task in the start response and the saga runs here without a task-queue round trip. With no free local slot the
 * server queues the task as usual, and any other worker of the queue may take it.
 * Shutdown order: bridge (no new workflows; accepted offsets committed) → worker (running tasks finish) → connection.
 */
export async function startRunProcess(config: Config, logger: Logger, options: RunProcessOptions): Promise<RunningProcess> {
  const connection = await NativeConnection.connect(await temporalConnectionOptions(config.temporal));
  const worker = await startWorkerProcess(config, logger, { ...options, connection });
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: temporalDataConverter(config.temporal),
    interceptors: worker.tracing.clientInterceptors(),
  });
  const bridge = await startBridgeProcess(config, logger, { eagerStart: true, ...options.bridge, temporal: client, tracing: worker.tracing });
  const shutdown = new ShutdownSequence(logger.child({ component: 'run' }))
    .add('bridge', () => bridge.shutdown.run('run stopping'), 60_000)
    .add('worker', () => worker.shutdown.run('run stopping'), 60_000)
    .add('close Temporal connection', () => connection.close());
  return { shutdown, metrics: bridge.metrics };
}
