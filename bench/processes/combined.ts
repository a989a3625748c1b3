// The bench's worker and bridge in one process on one Temporal connection, the bridge starting sagas eagerly: how
// `npm start` and `mainspring run` run them (workers/run-process.ts); with `eagerStart: false`, the same without it. The same code as the separate children
// (processes/services.ts), wired together. Stop order: bridge (no new starts) → worker (running tasks finish) →
// connection.
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/observability/logger';
import type { CombinedChildOptions } from '../lib/children';
import { childMain, childOptions } from './child';
import { clientOn, connectNative, startBenchBridge, startBenchWorker } from './services';

childMain(async () => {
  const options = childOptions<CombinedChildOptions>();
  const config = loadConfig();
  const log = createLogger(config.logLevel).child({ component: 'bench-combined' });
  const connection = await connectNative(config);
  const worker = await startBenchWorker(config, log, options.worker, connection);
  const bridge = await startBenchBridge(config, log, { ...options.bridge, bridgeOptions: { ...options.bridge.bridgeOptions, eagerStart: options.eagerStart } }, clientOn(config, connection));
  return {
    stop: async () => {
      await bridge.stop();
      await worker.stop();
      await connection.close();
    },
  };
});
