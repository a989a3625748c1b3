import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { projectRoot } from '../../src/config/project-root';
import { CHAOS_DEFAULT_FAULTS, FAULT_KINDS, parseFaultKinds, type FaultKind } from '../chaos/schedule';
import { parsedBy, positiveInt, positiveNumber } from '../options';
import { DEFAULT_MODEL_NAME } from './models';

interface ChaosCliOptions {
  seed?: number;
  events?: number;
  poisonShare: number;
  faults: FaultKind[];
  pauseSeconds?: number;
  rate?: number;
  short?: boolean;
  keep?: boolean;
}

const share = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`--poison-share must be a number from 0 to 1 (exclusive), got "${value}".`);
  return n;
};

const faultList = parsedBy(parseFaultKinds);

/**
 * `npm run chaos`: a stack of its own, the worker and the bridge as child processes, a stream of payments with
 * poison and same-key bursts, and at seeded points kill -9 / restart of every moving part (and a Temporal pause);
 * then the invariants (nothing lost, nothing twice). Exits 1 when one fails, printing the command that reproduces it.
 */
export function registerChaosCommand(program: Command): void {
  program
    .command('chaos')
    .description('fault-injection run: kill -9 worker, bridge, Temporal, Kafka, PostgreSQL mid-stream and check nothing is lost or duplicated')
    .option('--seed <n>', 'seed of the stream and the fault schedule (default: random, printed)', positiveInt('--seed'))
    .option('--events <n>', 'events to produce (default 3000; 600 with --short)', positiveInt('--events', 1_000_000))
    .option('--poison-share <fraction>', 'share of poison events (bad JSON, contract violations, unknown types, …)', share, 0.03)
    .option('--faults <kinds>', `comma-separated fault kinds (${FAULT_KINDS.join(',')}; default ${CHAOS_DEFAULT_FAULTS.join(',')})`, faultList, [...CHAOS_DEFAULT_FAULTS])
    .option('--pause-seconds <n>', 'how long Temporal stays SIGSTOPped (default 60; 10 with --short)', positiveInt('--pause-seconds', 3600))
    .option('--rate <perSecond>', 'events produced per second (default 12; 8 with --short)', positiveNumber('--rate'))
    .option('--short', 'CI variant: ~600 events, one fault of each kind, 10 s pause')
    .option('--keep', 'keep the stack data (.mainspring/chaos-stack) for inspection')
    .action(async (o: ChaosCliOptions) => {
      const seed = o.seed ?? 1 + Math.floor(Math.random() * 1_000_000);
      const short = o.short === true;
      const events = o.events ?? (short ? 600 : 3000);
      const pauseSeconds = o.pauseSeconds ?? (short ? 10 : 60);
      const rate = o.rate ?? (short ? 8 : 12);
      const reproduce = [
        'npm run chaos --',
        ...(short ? ['--short'] : []),
        `--seed ${seed}`,
        `--events ${events}`,
        `--poison-share ${o.poisonShare}`,
        `--faults ${o.faults.join(',')}`,
        `--pause-seconds ${pauseSeconds}`,
        `--rate ${rate}`,
      ].join(' ');
      // The runner (stack, children, stream, invariants) loads only when chaos runs; schedule.ts above is the fault
      // vocabulary for the options and imports nothing.
      const { runChaos } = await import('../chaos/runner.js');
      process.exitCode = await runChaos(
        projectRoot(),
        { seed, events, poisonShare: o.poisonShare, faults: o.faults, pauseSeconds, short, keep: o.keep === true, rate, modelName: DEFAULT_MODEL_NAME, reproduce },
        (line) => console.log(line),
      );
    });
}
