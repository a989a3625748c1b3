import type { Command } from 'commander';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/observability/logger';
import { ExitOnFatal } from '../fatal';
import { startRunProcess } from '../../workers/run-process';
import { positiveInt } from '../options';
import { DEFAULT_MODEL_NAME } from './models';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the bridge and a worker in one process (production mode): sagas start eagerly on this worker, no task-queue hop')
    .option('--model <name>', 'model the saga scores with', DEFAULT_MODEL_NAME)
    .option('--group <id>', 'consumer group id', 'mainspring-bridge')
    .option('--max-in-flight <n>', 'starts queued or running per partition', positiveInt('--max-in-flight', 10_000), 16)
    .option('--no-eager-start', 'start workflows through the task queue even when this process could run them')
    .action(async (options: { model: string; group: string; maxInFlight: number; eagerStart: boolean }) => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const fatal = new ExitOnFatal();
      const { shutdown } = await startRunProcess(config, logger, {
        modelName: options.model,
        sdkMetricsPort: config.metrics.workerSdkPort,
        onFatal: fatal.onFatal,
        bridge: { groupId: options.group, maxInFlightPerPartition: options.maxInFlight, eagerStart: options.eagerStart, defaultModelName: options.model },
      });
      fatal.attach(shutdown);
      shutdown.exitOnSignals();
    });
}
