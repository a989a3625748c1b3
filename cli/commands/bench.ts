import type { Command } from 'commander';
import { commaList, positiveInt } from '../options';
import { CliUsageError } from '../output';

interface BenchCliOptions {
  rehearsal?: boolean;
  quick?: boolean;
  events?: number;
  rates?: number[];
  seconds?: number;
  python: boolean;
  cpuProf?: boolean;
  out?: string;
}

/**
 * `mainspring bench [--quick]`: measures mainspring next to the alternatives in one run (see bench/README.md) and
 * writes bench/results/<time>.json + .md. Ctrl-C stops the run in order (partial results are still written); a
 * second Ctrl-C exits at once.
 */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('benchmark the durable pipeline, bridge, scoring, training and drift side by side with the alternatives')
    .option('--quick', 'short run (≈ 4 min; the first Python install takes longer)')
    .option('--no-python', 'skip the Python comparisons (scikit-learn, onnxruntime, Evidently)')
    .option('--cpu-prof', 'write V8 CPU profiles of every Node child (.mainspring/bench-profiles/) and summarize them in the result')
    .option('--out <dir>', 'results directory (default bench/results)')
    .option('--events <n>', 'events of the throughput backlog (default 1000, quick 300)', positiveInt('--events'))
    .option('--rates <list>', 'fixed latency rates in events/s, besides the runs at 25/50/80 % of the measured capacity (default none)', (v: string) => commaList(v).map((x) => positiveInt('--rates')(x)))
    .option('--seconds <n>', 'how long each latency rate is held (default 12, quick 6)', positiveInt('--seconds'))
    .option('--rehearsal', 'also run the pipeline on the rehearsal topology (Temporal server on PostgreSQL, 3 Kafka brokers), labelled as such (needs Go; the first run builds the server)')
    .action(async (options: BenchCliOptions) => {
      // kafkajs warns once per producer about its v2 default partitioner; the bench's children inherit this.
      process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
      const abort = new AbortController();
      let firstSignalAt = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        // One Ctrl-C can arrive twice (the terminal's process group + a wrapper such as npx/tsx relaying it).
        if (firstSignalAt > 0 && Date.now() - firstSignalAt < 1500) return;
        if (firstSignalAt === 0) {
          firstSignalAt = Date.now();
          process.stderr.write(`\n[bench] ${signal}: stopping in order and writing partial results (again to exit at once)\n`);
          abort.abort();
        } else process.exit(130);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        // The harness (and everything it pulls in) loads only when the bench runs, not at every CLI start; the
        // production image leaves it out.
        const { runBench } = await import('../../bench/harness.js').catch((err: unknown) => {
          if ((err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
          throw new CliUsageError('the bench is not part of this install (the production image leaves it out): run it from a checkout, `npm run bench`.');
        });
        const outcome = await runBench(
          {
            quick: options.quick === true,
            python: options.python,
            cpuProfile: options.cpuProf === true,
            outDir: options.out,
            overrides: {
              ...(options.events ? { throughputEvents: options.events } : {}),
              ...(options.rates ? { latencyRates: options.rates } : {}),
              ...(options.seconds ? { latencySeconds: options.seconds } : {}),
              ...(options.rehearsal ? { rehearsal: true } : {}),
            },
          },
          { progress: (line) => process.stderr.write(`${line}\n`), signal: abort.signal },
        );
        process.stdout.write(`\n${outcome.markdown}\n`);
        process.stderr.write(`[bench] results: ${outcome.jsonPath}\n[bench]          ${outcome.markdownPath}\n`);
        if (outcome.result.status === 'interrupted') process.exitCode = 130;
        else if (outcome.result.status === 'failed') process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
