import type { Command } from 'commander';
import { projectRoot } from '../../src/config/project-root';
import { FAULT_KINDS, parseFaultKinds, REHEARSAL_DEFAULT_FAULTS, type FaultKind } from '../chaos/schedule';
import { parsedBy, positiveInt, positiveNumber } from '../options';
import { DEFAULT_MODEL_NAME } from './models';

interface RehearseCliOptions {
  seed?: number;
  events: number;
  rate: number;
  faults: FaultKind[];
  pauseSeconds: number;
  keep?: boolean;
}

const faultList = parsedBy(parseFaultKinds);

/**
 * `npm run rehearse`: the production topology on this machine — the real Temporal server (built once from the Go
 * module) on PostgreSQL, its UI, three Kafka brokers, two workers and two bridges as separate processes — prepared
 * by `mainspring setup`, then a payment stream with faults and the chaos suite's invariants.
 */
export function registerRehearseCommand(program: Command): void {
  program
    .command('rehearse')
    .description('run the production topology (Temporal server on PostgreSQL, 3 Kafka brokers, 2 workers, 2 bridges) with faults; prints the invariants')
    .option('--seed <n>', 'seed of the stream and the fault schedule (default: random, printed)', positiveInt('--seed'))
    .option('--events <n>', 'events to produce', positiveInt('--events', 1_000_000), 900)
    .option('--rate <perSecond>', 'events produced per second', positiveNumber('--rate'), 8)
    .option('--faults <kinds>', `comma-separated fault kinds (${FAULT_KINDS.join(',')})`, faultList, [...REHEARSAL_DEFAULT_FAULTS])
    .option('--pause-seconds <n>', 'how long a pause-postgres / pause-temporal fault lasts', positiveInt('--pause-seconds', 3600), 10)
    .option('--keep', 'keep the topology stopped with its data (.mainspring/rehearsal-stack) for inspection')
    .action(async (o: RehearseCliOptions) => {
      const seed = o.seed ?? 1 + Math.floor(Math.random() * 1_000_000);
      const reproduce = ['npm run rehearse --', `--seed ${seed}`, `--events ${o.events}`, `--rate ${o.rate}`, `--faults ${o.faults.join(',')}`, `--pause-seconds ${o.pauseSeconds}`].join(' ');
      const { runChaos } = await import('../chaos/runner.js');
      process.exitCode = await runChaos(
        projectRoot(),
        { seed, events: o.events, poisonShare: 0.03, faults: o.faults, pauseSeconds: o.pauseSeconds, short: true, keep: o.keep === true, rate: o.rate, modelName: DEFAULT_MODEL_NAME, reproduce, topology: 'rehearsal' },
        (line) => console.log(line),
      );
    });
}
