import type { Command } from 'commander';
import { loadConfig } from '../../src/config/env';
import { migrateDatabase } from '../../src/db/migrate';
import { redactUrl } from '../../stack/manager';

export function registerDbCommands(program: Command): void {
  program
    .command('db')
    .description('database maintenance')
    .command('migrate')
    .description('apply pending migrations to DATABASE_URL (or the local stack)')
    .action(async () => {
      const config = loadConfig();
      await migrateDatabase(config.database.url);
      console.log(`migrations applied to ${redactUrl(config.database.url)}`);
    });
}
