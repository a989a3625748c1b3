// What the bench's child processes run, as functions: the worker (payment saga, real activities and model runtime),
// the bridge, and the Temporal connection they may share. The separate children (worker.ts, bridge.ts) and the
// combined one (combined.ts: both on one NativeConnection, eager starts) call the same code, so the two modes differ
// only in how they are wired.
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { createActivities } from '../../activities';
import { secretPiiHashKey, type Config } from '../../src/config/env';
import { createDb } from '../../src/db/client';
import { Bridge } from '../../src/kafka/bridge';
import { createKafka } from '../../src/kafka/client';
import { connectProducer } from '../../src/kafka/producer';
import { startOutboxRelays } from '../../src/kafka/outbox';
import { productRoutes } from '../../workers/product-routes';
import { startAliasWatcher } from '../../src/model/alias-watcher';
import { createRegistryAliasSource } from '../../src/model/registry';
import { ModelRuntime } from '../../src/model/runtime';
import type { Logger } from '../../src/observability/logger';
import { temporalConnectionOptions, temporalDataConverter } from '../../src/temporal/client';
import { bundleWorkflows } from '../../workers/bundle-workflows';
import type { BridgeChildOptions, WorkerChildOptions } from '../lib/children';

export interface Running {
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/** The SDK runtime (once per process, quiet) and a NativeConnection to the run's Temporal. */
export async function connectNative(config: Config): Promise<NativeConnection> {
  if (!runtimeInstalled) {
    runtimeInstalled = true;
    Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
  }
  return NativeConnection.connect(await temporalConnectionOptions(config.temporal));
}

/** A client on a worker's NativeConnection: only such a client's starts can be handed to that worker eagerly. */
export function clientOn(config: Config, connection: NativeConnection): Client {
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: temporalDataConverter(config.temporal) });
}

/**
 * The payment saga worker, configured like workers/worker-process.ts (same Worker.create options, alias watcher,
 * activities) on the bench's own task queue and topics. The connection stays the caller's.
 */
export async function startBenchWorker(config: Config, log: Logger, options: WorkerChildOptions, connection: NativeConnection): Promise<Running> {
  const db = createDb(config.database.url);
  // The saga's effects leave through the outbox, relayed as in workers/worker-process.ts.
  const outbox = startOutboxRelays({ shards: config.kafka.outboxShards, transactionalIdPrefix: config.kafka.outboxTransactionalIdPrefix, kafka: createKafka(config.kafka), database: config.database.url, logger: log });
  const models = new ModelRuntime({ modelName: options.modelName, logger: log.child({ component: 'model-runtime' }) });
  const watcher = startAliasWatcher(models, createRegistryAliasSource(db.db, options.modelName), { logger: log });
  const synced = await watcher.ready;
  if (models.championVersion === null) throw new Error(`worker has no champion for ${options.modelName} (alias sync ok=${synced.ok})`);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: await bundleWorkflows(),
    activities: createActivities({ db: db.db, models, piiHashKey: secretPiiHashKey(config), modelName: options.modelName, topics: options.topics, logger: log, outboxShards: config.kafka.outboxShards }),
    shutdownGraceTime: '10s',
    dataConverter: temporalDataConverter(config.temporal),
    ...options.workerOptions,
  });
  const running = worker.run().catch((err: unknown) => {
    process.stderr.write(`worker crashed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
  return {
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await watcher.stop();
      await models.close();
      await outbox.stop();
      await db.close();
    },
  };
}

/**
 * src/kafka/bridge.ts with the product's payments route (same validation, workflow id, search attributes, reuse
 * policy), pointed at the bench's topic and task queue. The client stays the caller's.
 */
export async function startBenchBridge(config: Config, log: Logger, options: BridgeChildOptions, client: Client): Promise<Running & { metrics: Registry }> {
  const kafka = createKafka(config.kafka);
  const producer = await connectProducer(kafka);
  const [paymentsRoute] = productRoutes({ piiHashKey: secretPiiHashKey(config) });
  const route = { ...paymentsRoute, topic: options.topic, taskQueue: options.taskQueue };
  const metrics = new Registry();
  const bridge = new Bridge({ kafka, temporal: client, producer, routes: [route], logger: log, metrics }, { groupId: options.groupId, ...options.bridgeOptions });
  await bridge.start();
  return {
    metrics,
    stop: async () => {
      await bridge.stop();
      await producer.disconnect();
    },
  };
}
