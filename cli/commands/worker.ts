import type { Command } from 'commander';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/observability/logger';
import { ExitOnFatal } from '../fatal';
import { startWorkerProcess } from '../../workers/worker-process';
import { DEFAULT_MODEL_NAME } from './models';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a Temporal worker: the payment saga (task queue "payments") with the ONNX model in-process')
    .option('--model <name>', 'model the saga scores with', DEFAULT_MODEL_NAME)
    .action(async (options: { model: string }) => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const fatal = new ExitOnFatal();
      const { shutdown } = await startWorkerProcess(config, logger, { modelName: options.model, sdkMetricsPort: config.metrics.workerSdkPort, onFatal: fatal.onFatal });
      fatal.attach(shutdown);
      shutdown.exitOnSignals();
    });
}
