import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createLearningActivities } from '../activities/learning.activities';
import { createReplayActivities } from '../activities/replay.activities';
import { secretPiiHashKey, type Config } from '../src/config/env';
import { createDb } from '../src/db/client';
import { currentLearningPhases, latestDriftReports } from '../src/db/learning-state';
import { createKafka } from '../src/kafka/client';
import { startOutboxRelays } from '../src/kafka/outbox';
import { ShutdownSequence, type OnFatal } from '../src/lifecycle/shutdown';
import { startAliasWatcher } from '../src/model/alias-watcher';
import { LearningComputeThread } from '../src/model/compute-pool';
import { createRegistryAliasSource } from '../src/model/registry';
import { ModelRuntime } from '../src/model/runtime';
import type { Logger } from '../src/observability/logger';
import { createMetricsRegistry, METRIC_PREFIXES, metricsHost, serveMetrics } from '../src/observability/metrics';
import { createModelMetrics } from '../src/observability/model-metrics';
import { createTracing, SERVICE_NAMES, type Tracing } from '../src/observability/tracing';
import { temporalConnectionOptions, temporalDataConverter } from '../src/temporal/client';
import { assertPortsFree, type PortClaim } from '../src/lifecycle/ports';
import { TASK_QUEUES } from '../src/temporal/task-queues';
import { bundleWorkflows } from './bundle-workflows';

export interface WorkerProcessOptions {
  modelName: string;
  /** Port of the Temporal SDK's own Prometheus endpoint (task latencies, slots, polls). */
  sdkMetricsPort?: number;
  /** Tracing of workflows and activities; default from the OTEL_* variables (off when none is set). */
  tracing?: Tracing;
  /** Told when a worker crashes after start; without it the worker runs its own shutdown. */
  onFatal?: OnFatal;
}

/** The ports the worker process listens on, checked before anything starts. */
export function workerPortClaims(config: Config, options: Pick<WorkerProcessOptions, 'sdkMetricsPort'>): PortClaim[] {
  const host = metricsHost(process.env);
  return [
    { port: config.metrics.workerPort, component: 'the worker metrics endpoint', envVar: 'MAINSPRING_WORKER_METRICS_PORT', host },
    ...(options.sdkMetricsPort ? [{ port: options.sdkMetricsPort, component: 'the Temporal SDK metrics endpoint', envVar: 'MAINSPRING_WORKER_SDK_METRICS_PORT', host }] : []),
  ];
}

const TEMPORAL_LOG_LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };

/**
 * The worker process: serves the `payments` task queue (saga, model runtime in-process) and the `learning` task
 * queue (learning loops: retrain, gate, shadow, promote).
 * Shutdown order: worker (stops polling, finishes running activities) → learning compute thread → alias watcher →
 * model runtime → outbox relays → database pool → Temporal connection → flush traces → metrics endpoint.
 */
export async function startWorkerProcess(config: Config, logger: Logger, options: WorkerProcessOptions): Promise<{ shutdown: ShutdownSequence; worker: Worker; tracing: Tracing; connection: NativeConnection }> {
  const piiHashKey = secretPiiHashKey(config); // refused before anything starts
  const log = logger.child({ component: 'worker' });
  // Both metrics ports before the runtime binds one of them and anything connects.
  await assertPortsFree(workerPortClaims(config, options), 'the worker');
  installRuntime(logger.level, options);
  const shutdown = new ShutdownSequence(log);
  const metrics = createMetricsRegistry(METRIC_PREFIXES.worker);
  const metricsServer = await serveMetrics(metrics, config.metrics.workerPort, metricsHost(process.env));
  const db = createDb(config.database.url);
  const modelMetrics = createModelMetrics(metrics, { learningPhases: () => currentLearningPhases(db.db), latestDrift: () => latestDriftReports(db.db) });
  const tracing = options.tracing ?? createTracing({ serviceName: SERVICE_NAMES.worker, env: process.env, serviceVersion: process.env.MAINSPRING_CODE_VERSION, logger: log });
  // One client for the outbox relays' transactional producers and the replay jobs' range reads.
  const kafka = createKafka(config.kafka, { logger: log });
  // Saga effects go through the outbox; every worker runs a relay per shard, one of them leads each shard.
  const outbox = startOutboxRelays({ shards: config.kafka.outboxShards, transactionalIdPrefix: config.kafka.outboxTransactionalIdPrefix, kafka, database: config.database.url, logger: log });
  const models = new ModelRuntime({ modelName: options.modelName, logger: log.child({ component: 'model-runtime' }), observer: modelMetrics.scoring(options.modelName) });
  const watcher = startAliasWatcher(models, createRegistryAliasSource(db.db, options.modelName), { logger: log });
  await watcher.ready;
  if (models.championVersion === null) log.warn({ model: options.modelName }, 'no champion registered yet: rules score until one is promoted (`mainspring models train --promote`)');

  const connection = await NativeConnection.connect(await temporalConnectionOptions(config.temporal));
  const workflowBundle = await bundleWorkflows(tracing.workflowInterceptorModules);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: TASK_QUEUES.payments,
    workflowBundle,
    activities: createActivities({
      db: db.db,
      models,
      piiHashKey,
      modelName: options.modelName,
      logger: log,
      metrics: modelMetrics.saga,
      cloudEventsMode: config.kafka.cloudEventsMode,
      outboxShards: config.kafka.outboxShards,
    }),
    dataConverter: temporalDataConverter(config.temporal),
    ...tracing.workerOptions(),
    shutdownGraceTime: '10s',
  });
  // Reading training sets, fitting and drift statistics run on their own thread (with its own small database pool):
  // inline they would block every saga of this event loop.
  const learningCompute = new LearningComputeThread({ databaseUrl: config.database.url });
  const learningWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: TASK_QUEUES.learning,
    workflowBundle,
    // Replay jobs run here too: they are batch work like training, and the learning loop starts them as children.
    activities: { ...createLearningActivities({ db: db.db, logger: log, codeVersion: process.env.MAINSPRING_CODE_VERSION, compute: learningCompute }), ...createReplayActivities({ db: db.db, kafka, logger: log }) },
    dataConverter: temporalDataConverter(config.temporal),
    ...tracing.workerOptions(),
    // One learning activity at a time: the compute thread then has one task at a time and takes at most one core.
    maxConcurrentActivityTaskExecutions: 1,
    shutdownGraceTime: '30s',
  });
  // Worker.run resolves once shutdown() has drained it; a crash is logged and starts the ordered shutdown.
  const running = [worker, learningWorker].map((w) =>
    w.run().catch((err: unknown) => {
      log.error({ err, taskQueue: w.options.taskQueue }, 'worker crashed');
      if (options.onFatal) options.onFatal(`the worker of task queue "${w.options.taskQueue}"`, err);
      else void shutdown.run('worker crashed');
    }),
  );
  shutdown
    .add('stop workers (finish running activities)', async () => {
      for (const w of [worker, learningWorker]) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all(running);
    })
    .add('stop learning compute thread', () => learningCompute.close())
    .add('stop model alias watcher', () => watcher.stop())
    .add('close model runtime', () => models.close())
    // After the activities: what they queued goes out now, or from another worker's relay (or the next start).
    .add('stop outbox relays', () => outbox.stop())
    .add('close database pool', () => db.close())
    .add('close Temporal connection', () => connection.close())
    // After every step that can still end a span; a tracing handed in by the caller is the caller's to shut down.
    .add('flush traces', () => (options.tracing ? tracing.flush() : tracing.shutdown()))
    .add('close metrics endpoint', () => metricsServer.close());
  log.info({ taskQueues: [TASK_QUEUES.payments, TASK_QUEUES.learning], champion: models.championVersion, metrics: `http://127.0.0.1:${config.metrics.workerPort}/metrics` }, 'worker running');
  // The connection is handed out for a client of the same process (workers/run-process.ts: eager starts); it closes
  // with the worker, so that client's users stop first.
  return { shutdown, worker, tracing, connection };
}

let runtimeInstalled = false;

/** The SDK runtime is process-wide: logs at our level, its Prometheus metrics on their own port. */
function installRuntime(level: string, options: WorkerProcessOptions): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    // Our ShutdownSequence owns SIGINT/SIGTERM so the worker stops in its place in the order, not on its own.
    shutdownSignals: [],
    logger: new DefaultLogger(TEMPORAL_LOG_LEVELS[level] ?? 'INFO'),
    telemetryOptions: options.sdkMetricsPort ? { metrics: { prometheus: { bindAddress: `${metricsHost(process.env)}:${options.sdkMetricsPort}` } } } : undefined,
  });
}
