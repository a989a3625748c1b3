import type { Command } from 'commander';
import { loadConfig } from '../../src/config/env';
import { redactUrl, Stack } from '../../stack/manager';
import { table } from '../output';

export function registerStackCommands(program: Command): void {
  const stack = program.command('stack').description('the local stack: Temporal dev server + UI, Kafka (KRaft), PostgreSQL');

  stack
    .command('up')
    .description('start every component not given by TEMPORAL_ADDRESS / KAFKA_BROKERS / DATABASE_URL, wait until healthy, migrate')
    .action(async () => {
      const started = Date.now();
      const endpoints = await new Stack(loadConfig()).up((line) => console.log(`  … ${line}`));
      console.log(`\nstack is up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(`  Temporal    ${endpoints.temporalAddress} (namespace ${endpoints.temporalNamespace})`);
      if (endpoints.temporalUi) console.log(`  Temporal UI ${endpoints.temporalUi}`);
      console.log(`  Kafka       ${endpoints.kafkaBrokers.join(',')}`);
      console.log(`  PostgreSQL  ${redactUrl(endpoints.databaseUrl)}`);
    });

  stack
    .command('down')
    .description('stop the local stack in reverse order; data stays unless --wipe')
    .option('--wipe', 'also delete the data of every local component')
    .action(async (options: { wipe?: boolean }) => {
      await new Stack(loadConfig()).down({ wipe: options.wipe === true });
      console.log(options.wipe ? 'stack stopped, data removed' : 'stack stopped (data kept; `stack down --wipe` removes it)');
    });

  stack
    .command('status')
    .description('state of each component: up/down, port, pid, version')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const statuses = await new Stack(loadConfig()).status();
      if (options.json) {
        console.log(JSON.stringify(statuses, null, 2));
      } else {
        console.log(
          table(
            statuses.map((s) => ({
              component: s.name,
              state: s.external ? `${s.state} (external)` : s.state,
              endpoint: s.endpoint,
              pid: s.pid,
              version: s.version,
              detail: s.detail,
            })),
          ),
        );
      }
      if (statuses.some((s) => s.state !== 'up')) process.exitCode = 1;
    });
}
