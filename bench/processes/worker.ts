// The bench's Temporal worker: the payment saga with the real activities and model runtime, configured like
// workers/worker-process.ts (same Worker.create options, alias watcher, activities) but on the bench's own task
// queue and topics so a run against shared clusters never takes anyone else's work.
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { loadConfig, secretPiiHashKey } from '../../src/config/env';
import { createDb } from '../../src/db/client';
import { createKafka } from '../../src/kafka/client';
import { connectProducer } from '../../src/kafka/producer';
import { startAliasWatcher } from '../../src/model/alias-watcher';
import { createRegistryAliasSource } from '../../src/model/registry';
import { ModelRuntime } from '../../src/model/runtime';
import { createLogger } from '../../src/observability/logger';
import { temporalConnectionOptions, temporalDataConverter } from '../../src/temporal/client';
import { bundleWorkflows } from '../../workers/bundle-workflows';
import { childMain, childOptions } from './child';
import type { WorkerChildOptions } from '../lib/children';

childMain(async () => {
  const options = childOptions<WorkerChildOptions>();
  const config = loadConfig();
  const log = createLogger(config.logLevel).child({ component: 'bench-worker' });
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger('WARN') });
  const db = createDb(config.database.url);
  const producer = await connectProducer(createKafka(config.kafka));
  const models = new ModelRuntime({ modelName: options.modelName, logger: log.child({ component: 'model-runtime' }) });
  const watcher = startAliasWatcher(models, createRegistryAliasSource(db.db, options.modelName), { logger: log });
  const synced = await watcher.ready;
  if (models.championVersion === null) throw new Error(`worker has no champion for ${options.modelName} (alias sync ok=${synced.ok})`);
  const connection = await NativeConnection.connect(await temporalConnectionOptions(config.temporal));
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: await bundleWorkflows(),
    activities: createActivities({ db: db.db, producer, models, piiHashKey: secretPiiHashKey(config), modelName: options.modelName, topics: options.topics, logger: log }),
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
      await producer.disconnect();
      await db.close();
      await connection.close();
    },
  };
});
