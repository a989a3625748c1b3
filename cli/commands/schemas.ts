import { resolve } from 'node:path';
import type { Command } from 'commander';
import { checkCompatibility, exportJsonSchemas } from '../../schemas/compat';

export function registerSchemasCommands(program: Command): void {
  const schemas = program.command('schemas').description('event contracts: JSON Schema export and compatibility check');
  schemas
    .command('export')
    .description('write a JSON Schema file for every event type and version')
    .argument('[dir]', 'output folder', 'schemas/json')
    .action(async (dir: string) => {
      const written = await exportJsonSchemas(resolve(dir));
      console.log(`wrote ${written.length} files to ${resolve(dir)}`);
    });
  schemas
    .command('check')
    .description('fail (exit 1) when a newer contract version is not backward compatible with the previous one')
    .action(() => {
      const problems = checkCompatibility();
      for (const p of problems) console.error(`✘ ${p.message}`);
      if (problems.length > 0) {
        console.error(`${problems.length} compatibility problem(s)`);
        process.exitCode = 1;
      } else {
        console.log('all contract versions are backward compatible');
      }
    });
}
