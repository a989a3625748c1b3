import type { Command } from 'commander';
import { loadConfig } from '../../config/env';
import { ShutdownSequence } from '../../lifecycle/shutdown';
import { createLogger } from '../../observability/logger';
import { Stack } from '../../stack/manager';
import { startBridgeProcess } from '../../../workers/bridge-process';
import { startWorkerProcess } from '../../../workers/worker-process';
import { DEFAULT_MODEL_NAME } from './models';

/**
 * `npm start`: the local stack, then the worker and the bridge in this process. Ctrl-C stops the bridge first
 * (no new workflows), then the worker; the stack stays up so every run remains inspectable in the Temporal UI.
 */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('bring up the local stack, migrate, and run the worker and the bridge in the foreground')
    .option('--model <name>', 'model the saga scores with', DEFAULT_MODEL_NAME)
    .action(async (options: { model: string }) => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const stack = new Stack(config);
      const endpoints = await stack.up((line) => console.log(`  … ${line}`));
      const worker = await startWorkerProcess(config, logger, { modelName: options.model, sdkMetricsPort: config.metrics.workerSdkPort });
      const bridge = await startBridgeProcess(config, logger);
      const shutdown = new ShutdownSequence(logger.child({ component: 'start' }))
        .add('bridge', () => bridge.shutdown.run('start stopping'), 60_000)
        .add('worker', () => worker.shutdown.run('start stopping'), 60_000);
      shutdown.exitOnSignals();
      console.log(`\nmainspring is running. Temporal UI: ${endpoints.temporalUi ?? config.temporal.address}`);
      console.log('Produce payments in another terminal: npx mainspring produce --synthetic 500 --rate 50');
      console.log('Ctrl-C stops the worker and the bridge; `npx mainspring stack down` stops the stack.\n');
    });
}
