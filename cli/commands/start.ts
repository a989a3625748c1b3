import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../src/config/env';
import { createDb } from '../../src/db/client';
import { latencySummaryRow, LiveView } from '../demo/live-view';
import { learningSummaryRow, writeReport } from '../demo/report';
import { loadReportData } from '../demo/report-data';
import { autoApprove, decidedPayments, demoLearningConfig, ensureLearningLoop, prepareDemoData, readLatencySummary, readSnapshot } from '../demo/run-demo';
import { runDemoStream, type StreamCounters } from '../demo/stream';
import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Config } from '../../src/config/env';
import type { DbHandle } from '../../src/db/client';
import { createKafka } from '../../src/kafka/client';
import { connectProducer } from '../../src/kafka/producer';
import { ShutdownSequence } from '../../src/lifecycle/shutdown';
import { createLogger, type Logger } from '../../src/observability/logger';
import { Stack } from '../../stack/manager';
import { connectTemporal } from '../../src/temporal/client';
import type { RunningProcess } from '../../workers/bridge-process';
import { runPortClaims, startRunProcess } from '../../workers/run-process';
import { ExitOnFatal } from '../fatal';
import { positiveInt, positiveNumber } from '../options';
import { table } from '../output';
import { DEFAULT_MODEL_NAME } from './models';

/** Payments per second of `npm start`'s stream before the hour-of-day factor. */
export const DEFAULT_DEMO_RATE = 6;

interface StartOptions {
  model: string;
  rate: number;
  duration: number;
  seed: number;
  users: number;
  autoApprove?: boolean;
  demo: boolean;
}

/**
 * `npm start`: the local stack, the worker and the bridge in this process, then (unless --no-demo) a synthetic
 * payment stream with drift and delayed labels, shown live. Ctrl-C stops the stream, then the bridge (no new
 * workflows), then the worker; the stack stays up so every run remains inspectable in the Temporal UI.
 */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('bring up the local stack, run the worker and the bridge, and stream synthetic payments through them')
    .option('--model <name>', 'model the saga scores with', DEFAULT_MODEL_NAME)
    // The stream follows the hour of day (0.6–1.67× the rate): 6/s peaks at 10/s, half of what the pipeline sustains
    // on a 2-core laptop (~21 sagas/s, `npm run bench -- --quick`), leaving room for labels and retraining.
    .option('--rate <perSecond>', 'payments per second (varies 0.6–1.67× with the hour of day)', positiveNumber('--rate'), DEFAULT_DEMO_RATE)
    .option('--duration <seconds>', 'length of the synthetic stream', positiveInt('--duration', 86_400), 180)
    .option('--seed <n>', 'seed of the synthetic world', positiveInt('--seed'), 42)
    .option('--users <n>', 'synthetic users', positiveInt('--users', 1_000_000), 2000)
    .option('--auto-approve', `approve promotions as "demo-approver" and exit after the summary (unattended runs)`)
    .option('--no-demo', 'only run the worker and the bridge (produce events yourself)')
    .action(async (options: StartOptions) => {
      const config = loadConfig();
      // Workers log JSON to a file-friendly level; the terminal belongs to the live view.
      const logger = createLogger(options.demo ? (process.env.LOG_LEVEL ?? 'warn') : config.logLevel);
      const say = (line: string) => console.log(`  … ${line}`);
      const sdkMetricsPort = config.metrics.workerSdkPort;
      // The metrics ports are checked with the stack's, before anything starts: found taken after the stack came up
      // and a model was trained, they ended the run with nothing to show for it.
      const endpoints = await new Stack(config).up(say, { alsoFree: runPortClaims(config, { sdkMetricsPort }), what: 'mainspring start' });

      // Built before the first resource so a failure at any later point closes what was opened, in order.
      const stop = new AbortController();
      let db: DbHandle | undefined;
      let temporal: Awaited<ReturnType<typeof connectTemporal>> | undefined;
      let running: RunningProcess | undefined;
      let producer: Producer | undefined;
      const shutdown = new ShutdownSequence(logger.child({ component: 'start' }))
        .add('stop the stream', async () => stop.abort())
        .add('bridge and worker', async () => running?.shutdown.run('start stopping'), 120_000)
        .add('disconnect demo producer', async () => producer?.disconnect())
        .add('close Temporal connection and database pool', async () => {
          await temporal?.connection.close();
          await db?.close();
        });
      const fatal = new ExitOnFatal('The stack stays up: `npx mainspring stack status`, `npx mainspring stack down`.').attach(shutdown);
      try {
        db = createDb(config.database.url);
        temporal = await connectTemporal(config.temporal);
        const { client } = temporal;
        const firstChampion = options.demo ? await prepareDemoData(db.db, { modelName: options.model, seed: options.seed, users: options.users, progress: say }) : null;
        // Bridge and worker share one connection, as `mainspring run` does in production: sagas start eagerly here.
        running = await startRunProcess(config, logger, { modelName: options.model, sdkMetricsPort, onFatal: fatal.onFatal, bridge: { defaultModelName: options.model } });
        // After the worker: applying the demo settings to a loop that already runs is an update, which needs a worker.
        if (options.demo) await ensureLearningLoop(client, options.model, demoLearningConfig(config.approvers));
        const ui = endpoints.temporalUi ?? config.temporal.address;
        console.log(`\nmainspring is running. Temporal UI: ${ui}`);
        shutdown.exitOnSignals();
        if (!options.demo) {
          console.log('Produce payments in another terminal: npx mainspring produce --synthetic 500 --rate 50');
          console.log('Ctrl-C stops the worker and the bridge; `npx mainspring stack down` stops the stack.\n');
          return;
        }
        producer = await connectProducer(createKafka(config.kafka, { logger }), { cloudEventsMode: config.kafka.cloudEventsMode });
        await runDemo({ options, config, db, client, running, producer, ui, firstChampion, stop, logger });
      } catch (err) {
        // Whatever failed, what was opened is closed in order and the error ends the command (exit code 1).
        await shutdown.run('start failed');
        throw err;
      }
      if (options.autoApprove) {
        // Unattended runs end on their own; the stack stays up for the UI, the workers do not need to.
        await shutdown.run('demo finished');
        console.log('Worker and bridge stopped; `npx mainspring stack down` stops the stack.');
        process.exit(0);
      }
      console.log('Ctrl-C stops the worker and the bridge; `npx mainspring stack down` stops the stack.');
    });
}

interface DemoContext {
  options: StartOptions;
  config: Config;
  db: DbHandle;
  client: Client;
  running: RunningProcess;
  producer: Producer;
  ui: string;
  firstChampion: string | null;
  stop: AbortController;
  logger: Logger;
}

/** The synthetic stream, the live view while the pipeline drains and a learning cycle finishes, then the summary and the report. */
async function runDemo({ options, config, db, client, running, producer, ui, firstChampion, stop, logger }: DemoContext): Promise<void> {
  const counters: StreamCounters = { payments: 0, labels: 0, fraudLabels: 0, driftStarted: false };
  const since = new Date();
  const started = Date.now();
  const view = new LiveView();
  const approved = new Set<string>();
  const streaming = runDemoStream(
    producer,
    { seed: options.seed, ratePerSecond: options.rate, durationSeconds: options.duration, users: options.users, driftAtFraction: 0.4, labelDelaySeconds: [5, 20], modelName: options.model, runTag: `r${Date.now().toString(36)}` },
    counters,
    stop.signal,
    { decided: decidedPayments(db.db) },
  );
  let streamDone = false;
  void streaming.finally(() => (streamDone = true));
  // After the stream: keep watching while the pipeline drains and a learning cycle finishes (bounded: 3× the
  // duration, as on a busy machine the saga lags minutes behind and the cycle ends well after the stream).
  const graceUntil = () => started + options.duration * 1000 * 3;
  let settled = false;
  let maxBacklog = 0;
  while (!stop.signal.aborted && !(streamDone && (settled || Date.now() > graceUntil()))) {
    const { snapshot, learning } = await readSnapshot({ db: db.db, client, bridgeMetrics: running.metrics, modelName: options.model, since, produced: counters.payments, labels: counters.labels, driftStarted: counters.driftStarted, elapsedSeconds: (Date.now() - started) / 1000, durationSeconds: options.duration });
    const pending = learning?.awaitingApproval;
    if (pending) {
      // Keyed by request: a request that expired on new drift is re-issued for the same version.
      if (options.autoApprove && !approved.has(pending.requestId)) {
        approved.add(pending.requestId);
        await autoApprove(client, options.model, pending.version).catch((err: unknown) => logger.warn({ err }, 'auto-approval refused'));
      }
      snapshot.notice = `${pending.version} awaits approval (deadline ${new Date(pending.deadline).toLocaleTimeString()}): npx mainspring approve ${options.model} --version ${pending.version} --approver <you>  ·  ${ui}/namespaces/${config.temporal.namespace}/workflows/learning-${options.model}`;
    }
    view.update(snapshot);
    maxBacklog = Math.max(maxBacklog, snapshot.backlog);
    // An unattended run is there to show a promotion: it waits for one (up to the bound) instead of ending on a
    // quiet moment between cycles (e.g. a first cycle refused at the gate, the next one still in its cooldown).
    const promoted = snapshot.champion !== null && snapshot.champion !== firstChampion;
    settled = snapshot.completed >= counters.payments && (learning?.phase ?? 'idle') === 'idle' && (!options.autoApprove || promoted);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await streaming;
  const { snapshot } = await readSnapshot({ db: db.db, client, bridgeMetrics: running.metrics, modelName: options.model, since, produced: counters.payments, labels: counters.labels, driftStarted: counters.driftStarted, elapsedSeconds: (Date.now() - started) / 1000, durationSeconds: options.duration });
  view.update({ ...snapshot, notice: undefined });
  const driftInjectedAt = counters.driftStartedAt === undefined ? undefined : new Date(counters.driftStartedAt);
  const reportData = await loadReportData(db.db, { modelName: options.model, since, driftInjectedAt });
  const report = await writeReport(reportData, join(config.home, 'reports', `report-${since.toISOString().replace(/[:.]/g, '-')}.html`));
  const latency = await readLatencySummary(db.db, since);
  console.log(`\n${table([{ payments: counters.payments, labels: counters.labels, fraudLabels: counters.fraudLabels, decided: snapshot.completed, flagged: snapshot.flagged, dlq: snapshot.dlq, champion: snapshot.champion ?? '-', learning: snapshot.learningPhase }])}`);
  console.log(`\n${table([latencySummaryRow(latency, maxBacklog)])}`);
  if (reportData.learning) console.log(`\n${table([learningSummaryRow(reportData.learning)])}`);
  console.log(`\nreport: ${report}`);
  console.log(`Everything stays inspectable at ${ui}.`);
}
