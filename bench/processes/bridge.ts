// The bench's bridge on its own (separate-process mode, and the accept-rate scenario): processes/services.ts with its
// own Temporal client. In `accept` mode nobody serves the task queue: the bridge's own work (validate + start accepted
// by Temporal) is what is timed, and the child reports when the expected number of events has been accepted.
import type { Counter, Registry } from 'prom-client';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/observability/logger';
import { connectTemporal } from '../../src/temporal/client';
import type { BridgeChildOptions } from '../lib/children';
import { childMain, childOptions, send } from './child';
import { startBenchBridge } from './services';

async function counterTotal(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name) as Counter | undefined;
  if (!metric) return 0;
  return (await metric.get()).values.reduce((s, v) => s + v.value, 0);
}

childMain(async () => {
  const options = childOptions<BridgeChildOptions>();
  const config = loadConfig();
  const log = createLogger(config.logLevel).child({ component: 'bench-bridge' });
  const { client, connection } = await connectTemporal(config.temporal);
  const bridge = await startBenchBridge(config, log, options, client);
  const { metrics } = bridge;

  let watch: NodeJS.Timeout | undefined;
  if (options.expectAccepted) {
    const expected = options.expectAccepted;
    let firstConsumedAt: number | undefined;
    watch = setInterval(() => {
      void (async () => {
        const consumed = await counterTotal(metrics, 'mainspring_bridge_consumed_total');
        const accepted = (await counterTotal(metrics, 'mainspring_bridge_accepted_total')) + (await counterTotal(metrics, 'mainspring_bridge_duplicates_total'));
        if (consumed > 0 && firstConsumedAt === undefined) firstConsumedAt = Date.now();
        if (accepted >= expected && watch) {
          clearInterval(watch);
          watch = undefined;
          const dlq = await counterTotal(metrics, 'mainspring_bridge_dlq_total');
          send({ type: 'accepted', accepted, dlq, firstConsumedAt, doneAt: Date.now() });
        }
      })();
    }, 20);
  }
  return {
    stop: async () => {
      if (watch) clearInterval(watch);
      await bridge.stop();
      await connection.close();
    },
  };
});
