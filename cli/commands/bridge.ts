import type { Command } from 'commander';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/observability/logger';
import { ExitOnFatal } from '../fatal';
import { startBridgeProcess } from '../../workers/bridge-process';
import { positiveInt } from '../options';

export function registerBridgeCommand(program: Command): void {
  program
    .command('bridge')
    .description('consume Kafka topics and start/signal Temporal workflows (commits only what Temporal accepted)')
    .option('--group <id>', 'consumer group id', 'mainspring-bridge')
    .option('--max-in-flight <n>', 'starts queued or running per partition', positiveInt('--max-in-flight', 10_000), 16)
    .action(async (options: { group: string; maxInFlight: number }) => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const fatal = new ExitOnFatal();
      const { shutdown } = await startBridgeProcess(config, logger, { groupId: options.group, maxInFlightPerPartition: options.maxInFlight, onFatal: fatal.onFatal });
      fatal.attach(shutdown);
      shutdown.exitOnSignals();
    });
}
