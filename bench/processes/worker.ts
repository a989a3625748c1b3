// The bench's Temporal worker on its own (separate-process mode): the payment saga with the real activities and
// model runtime (processes/services.ts), on the bench's own task queue and topics so a run against shared clusters
// never takes anyone else's work.
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/observability/logger';
import type { WorkerChildOptions } from '../lib/children';
import { childMain, childOptions } from './child';
import { connectNative, startBenchWorker } from './services';

childMain(async () => {
  const options = childOptions<WorkerChildOptions>();
  const config = loadConfig();
  const log = createLogger(config.logLevel).child({ component: 'bench-worker' });
  const connection = await connectNative(config);
  const worker = await startBenchWorker(config, log, options, connection);
  return {
    stop: async () => {
      await worker.stop();
      await connection.close();
    },
  };
});
