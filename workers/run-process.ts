import { Client } from '@temporalio/client';
import type { Config } from '../src/config/env';
import { ShutdownSequence } from '../src/lifecycle/shutdown';
import type { Logger } from '../src/observability/logger';
import { temporalDataConverter } from '../src/temporal/client';
import { assertPortsFree, type PortClaim } from '../src/lifecycle/ports';
import { bridgePortClaims, startBridgeProcess, type BridgeProcessOptions, type RunningProcess } from './bridge-process';
import { startWorkerProcess, workerPortClaims, type WorkerProcessOptions } from './worker-process';

export interface RunProcessOptions extends WorkerProcessOptions {
  bridge?: Omit<BridgeProcessOptions, 'temporal' | 'tracing' | 'onFatal'>;
}

/**
 * Bridge and worker in one process on one Temporal connection (`mainspring run`, `npm start`). The bridge's client
 * shares the worker's NativeConnection, so its starts ask for eager execution: the server returns the first workflow
 * task in the start response and the saga runs here without a task-queue round trip. With no free local slot the
 * server queues the task as usual, and any other worker of the queue may take it.
 * Shutdown order: bridge (no new workflows; accepted offsets committed) → worker (running tasks finish, then the
 * connection closes).
 */
/** Every port of the combined process (the worker's and the bridge's), so one check before the worker starts names them all. */
export function runPortClaims(config: Config, options: Pick<RunProcessOptions, 'sdkMetricsPort'>): PortClaim[] {
  return [...workerPortClaims(config, options), ...bridgePortClaims(config)];
}

export async function startRunProcess(config: Config, logger: Logger, options: RunProcessOptions): Promise<RunningProcess> {
  await assertPortsFree(runPortClaims(config, options), 'mainspring run');
  // The worker first: it installs the SDK runtime (logging, metrics) before any native connection exists.
  const worker = await startWorkerProcess(config, logger, options);
  const client = new Client({
    connection: worker.connection,
    namespace: config.temporal.namespace,
    dataConverter: temporalDataConverter(config.temporal),
    interceptors: worker.tracing.clientInterceptors(),
  });
  const bridge = await startBridgeProcess(config, logger, { eagerStart: true, ...options.bridge, temporal: client, tracing: worker.tracing, onFatal: options.onFatal }).catch(async (err: unknown) => {
    await worker.shutdown.run('bridge failed to start');
    throw err;
  });
  const shutdown = new ShutdownSequence(logger.child({ component: 'run' }))
    .add('bridge', () => bridge.shutdown.run('run stopping'), 60_000)
    .add('worker (closes the shared connection)', () => worker.shutdown.run('run stopping'), 60_000);
  return { shutdown, metrics: bridge.metrics };
}
