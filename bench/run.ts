// Runs `mainspring bench` without the CLI entry point (development: `npx tsx bench/run.ts --quick`, or
// `node dist/bench/run.js` after a build). `npm run bench` goes through bin/mainspring once the command is registered.
import { Command } from 'commander';
import { registerBenchCommand } from '../src/cli/commands/bench';

const program = new Command().name('mainspring').exitOverride();
registerBenchCommand(program);
program.parseAsync(['node', 'mainspring', 'bench', ...process.argv.slice(2)]).catch((err: unknown) => {
  if (err instanceof Error && 'code' in err && String((err as { code: unknown }).code).startsWith('commander.')) {
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
    return;
  }
  console.error(`mainspring bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
