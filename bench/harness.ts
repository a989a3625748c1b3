// `mainspring bench`: one run that measures mainspring next to what users would pick instead, on the same machine,
// in the same minutes. Starts what it needs (its own stack on free ports, a worker, a bridge, a plain consumer, a
// Python venv), runs the scenarios in order, writes bench/results/<time>.json + .md, and cleans up after itself —
// also when interrupted or when a scenario fails (which is then reported with its reason).
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Kafka, Producer } from 'kafkajs';
import { type DEFAULT_SAGA_TOPICS } from '../activities';
import { projectRoot } from '../src/config/project-root';
import { createDb, type DbHandle } from '../src/db/client';
import { createKafka } from '../src/kafka/client';
import { dlqTopic } from '../src/kafka/topics';
import { stackPaths } from '../stack/paths';
import { connectTemporal } from '../src/temporal/client';
import { startBenchStack, type BenchStack } from './lib/bench-stack';
import { childNames, startChild, type BenchChild } from './lib/children';
import { summarizeProfiles } from './lib/cpu-profile';
import { ceilingRatioRows, type CeilingResult } from './lib/ceiling';
import { benchConfig, IN_FLIGHT_PER_PARTITION, type BenchConfig } from './lib/config';
import { createTopicsReady, seedProfiles } from './lib/setup-data';
import { BenchInterrupted, checkAborted, section, type BenchContext } from './lib/context';
import { machineInfo } from './lib/machine';
import { ProcSampler, type ProcUsage } from './lib/proc-stats';
import { ensurePythonEnv } from './lib/python-env';
import { atMost, renderMarkdown, resultFileStem, type BenchResult, type ComparisonRow } from './lib/report';
import { ratio, type Summary } from './lib/stats';
import { acceptScenario } from './scenarios/accept';
import { driftScenario } from './scenarios/drift';
import { ceilingScenario } from './scenarios/ceiling';
import {
  latencyScenario,
  oneAtATimeScenario,
  reconcileScenario,
  ScoredProbe,
  throughputOf,
  throughputScenario,
  type LatencyFigures,
  type LoadRun,
  type PipelineRig,
} from './scenarios/pipeline';
import { kafkaHopsScenario } from './scenarios/kafka-hops';
import { footprintScenario } from './scenarios/resources';
import { scoringScenario } from './scenarios/scoring';
import { rehearsalScenario } from './scenarios/rehearsal';
import { prepareModel, type PreparedModel } from './scenarios/training';

export interface BenchOptions {
  quick: boolean;
  python: boolean;
  cpuProfile: boolean;
  /** Where results go; default bench/results. */
  outDir?: string;
  overrides?: Partial<BenchConfig>;
}

export interface BenchIO {
  progress(line: string): void;
  signal: AbortSignal;
}

export interface BenchOutcome {
  result: BenchResult;
  markdown: string;
  jsonPath: string;
  markdownPath: string;
}

type Cleanup = { name: string; run: () => Promise<void> };

export async function runBench(options: BenchOptions, io: BenchIO): Promise<BenchOutcome> {
  const started = new Date();
  const t0 = Date.now();
  const config = benchConfig(options.quick ? 'quick' : 'full', { python: options.python, cpuProfile: options.cpuProfile, ...options.overrides });
  const root = projectRoot();
  const runId = Date.now().toString(36).slice(-6);
  const outDir = options.outDir ?? join(root, 'bench', 'results');
  const stem = resultFileStem(started.toISOString());
  const workDir = join(root, '.mainspring', `bench-work-${runId}`);
  mkdirSync(outDir, { recursive: true });
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
  const progress = (line: string) => io.progress(`[bench ${elapsed()}] ${line}`);
  const machine = machineInfo();
  const ctx: BenchContext = {
    config,
    root,
    runId,
    workDir,
    progress,
    signal: io.signal,
    python: { ok: false, reason: 'not set up' },
    rows: [],
    details: {},
    sections: {},
    problems: [],
  };
  const cleanups: Cleanup[] = [];
  /** Where the children write their V8 profiles (`--cpu-prof`); set once the run has a stack. */
  let profileDir: string | undefined;
  const environment: Record<string, unknown> = { runId };
  let status: BenchResult['status'] = 'ok';
  progress(`${config.mode} run ${runId}: ${machine.cpus} CPUs, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverage1m}`);

  try {
    // 1. The Python venv (first run: minutes of pip) and the stack start side by side: both are set-up, not measured.
    const pythonReady = config.python ? ensurePythonEnv(root, progress, io.signal) : Promise.resolve({ ok: false as const, reason: 'skipped (--no-python)' });
    progress('starting the bench stack (Temporal dev server, Kafka, PostgreSQL) on free ports');
    let stack: BenchStack;
    try {
      stack = await startBenchStack(root, config.kafkaPartitions, (line) => progress(`stack: ${line}`));
      // The stack's owner check passed, so no other run is active: scratch folders of killed runs can go.
      for (const d of readdirSync(join(root, '.mainspring'))) if (d.startsWith('bench-work-')) rmSync(join(root, '.mainspring', d), { recursive: true, force: true });
      mkdirSync(workDir, { recursive: true });
    } finally {
      // Whatever happened to the stack, never leave pip running unobserved.
      ctx.python = await pythonReady;
    }
    cleanups.push({ name: 'stop the bench stack and wipe its data', run: () => stack.down() });
    if (!ctx.python.ok) progress(`python comparisons unavailable: ${ctx.python.reason}`);
    else machine.python = ctx.python.env.versions.python;
    environment.stack = { home: stack.home, external: stack.external, kafkaPartitions: config.kafkaPartitions, temporal: stack.endpoints.temporalAddress, kafka: stack.endpoints.kafkaBrokers };
    environment.python = ctx.python.ok ? ctx.python.env.versions : { unavailable: ctx.python.reason };
    checkAborted(io.signal);

    // 2. Shared clients.
    const handle: DbHandle = createDb(stack.endpoints.databaseUrl, { max: 4 });
    cleanups.push({ name: 'close database pool', run: () => handle.close() });
    const kafka: Kafka = createKafka(stack.config.kafka);
    const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    cleanups.push({ name: 'disconnect producer', run: () => producer.disconnect() });
    const { client: temporal, connection } = await connectTemporal(stack.config.temporal);
    cleanups.push({ name: 'close Temporal connection', run: () => connection.close() });

    const modelName = `bench-${runId}`;
    const prefix = `bench.${runId}`;
    const sagaTopics = { scored: `${prefix}.payments.scored`, flagged: `${prefix}.payments.flagged`, flagRetracted: `${prefix}.payments.flag-retracted`, labeled: `${prefix}.payments.labeled` } satisfies typeof DEFAULT_SAGA_TOPICS;
    const topics = {
      mainspringIn: `${prefix}.payments.initiated`,
      separateIn: `${prefix}.separate.payments.initiated`,
      onePlainIn: `${prefix}.one-plain.payments.initiated`,
      plainIn: `${prefix}.plain.payments.initiated`,
      accept: `${prefix}.accept.payments.initiated`,
      hopsPublish: `${prefix}.hops.publish`,
      hopsRoundTrip: `${prefix}.hops.round-trip`,
    };
    const allTopics = [...Object.values(topics), dlqTopic(topics.mainspringIn), dlqTopic(topics.separateIn), dlqTopic(topics.onePlainIn), dlqTopic(topics.accept), ...Object.values(sagaTopics)];
    await createTopicsReady(kafka, allTopics, config.kafkaPartitions);
    if (stack.external.kafka) cleanups.push({ name: 'delete the bench topics', run: () => deleteTopics(kafka, allTopics) });
    const usedPrefixes: string[] = [];
    let seedCounter = (Math.floor(Math.random() * 0xfffff) + 1) * 16;
    const nextSeed = () => {
      seedCounter += 1;
      usedPrefixes.push(`pay-${seedCounter.toString(16)}-`);
      return seedCounter;
    };
    let seededUsers: string[] = [];
    if (stack.external.database) cleanups.push({ name: 'delete the bench rows', run: () => deleteBenchRows(handle, usedPrefixes, modelName, seededUsers) });
    if (stack.external.temporal) cleanups.push({ name: 'terminate the bench workflows', run: () => terminateBenchWorkflows(temporal, runId) });

    // 3. Model: train → export → register → promote (the champion every pipeline scenario serves), vs scikit-learn.
    let prepared: PreparedModel | undefined;
    await section(ctx, 'training', async () => {
      prepared = await prepareModel(ctx, handle.db, modelName);
    });
    if (prepared) {
      const model = prepared;
      await section(ctx, 'scoring', () => scoringScenario(ctx, model));
    } else ctx.sections.scoring = { status: 'skipped', reason: 'no model (training failed)' };
    await section(ctx, 'drift', () => driftScenario(ctx));

    // 4. The pipelines.
    const sampler = new ProcSampler(500);
    sampler.start();
    cleanups.push({ name: 'stop sampling', run: async () => sampler.stop() });
    for (const t of stack.serviceTargets()) sampler.set(t);
    // Logs and profiles stay out of the repository (.mainspring/ is gitignored); the result files name them.
    const logDir = join(root, '.mainspring', 'bench-logs', stem);
    profileDir = join(root, '.mainspring', 'bench-profiles', stem);
    environment.logs = logDir;
    const execArgv = config.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    if (config.cpuProfile) environment.cpuProfiles = profileDir;
    const childOpts = { logDir, execArgv, signal: io.signal };
    const children: BenchChild[] = [];
    cleanups.push({ name: 'stop the bench processes', run: () => Promise.all(children.map((c) => c.stop())).then(() => undefined) });
    const usageLog: Array<{ scenario: string; usage: ProcUsage[] }> = [];
    let throughput: { mainspring: LoadRun; plain: LoadRun } | undefined;
    const pipelineSections = ['ceiling', 'kafka hops', 'throughput', 'latency', 'one at a time', 'ceiling ratios', 'footprint', 'accept'];

    const pipelineReady = prepared !== undefined;
    if (!pipelineReady) {
      for (const s of pipelineSections) ctx.sections[s] = { status: 'skipped', reason: 'no champion model (training failed)' };
    } else {
      // Before the pipeline's processes exist, so the server and the machine serve the ceiling alone.
      let ceiling: CeilingResult | undefined;
      await section(ctx, 'ceiling', async () => {
        ceiling = await ceilingScenario(ctx, { childEnv: stack.childEnv, logDir, execArgv, sampler });
      });
      // Also before the pipeline's processes: the broker serves the Kafka hops alone.
      await section(ctx, 'kafka hops', () => kafkaHopsScenario(ctx, kafka, { publish: topics.hopsPublish, roundTrip: topics.hopsRoundTrip }, config.kafkaHops));
      let rig: PipelineRig | undefined;
      const bridgeOptions = { maxInFlightPerPartition: IN_FLIGHT_PER_PARTITION };
      await section(ctx, 'pipeline set-up', async () => {
        progress(`seeding ${config.users} user risk profiles`);
        seededUsers = await seedProfiles(handle, config.users);
        const taskQueue = `bench-${runId}-payments`;
        progress('starting worker + bridge in one process (bundling workflows) and the plain consumer');
        const [combined, plain] = await Promise.all([
          startChild(
            'combined',
            'combined',
            { worker: { taskQueue, modelName, topics: sagaTopics }, bridge: { topic: topics.mainspringIn, taskQueue, groupId: `bench-${runId}-bridge`, bridgeOptions }, eagerStart: true },
            stack.childEnv,
            childOpts,
          ),
          startChild(
            'plain',
            'plain-consumer',
            { mode: 'pipeline', topic: topics.plainIn, groupId: `bench-${runId}-plain`, modelName, topics: sagaTopics, maxInFlightPerPartition: IN_FLIGHT_PER_PARTITION },
            stack.childEnv,
            childOpts,
          ),
        ]);
        children.push(combined, plain);
        for (const c of children) sampler.set({ name: c.name, pid: c.pid });
        const probe = new ScoredProbe(kafka, sagaTopics.scored, `bench-${runId}-probe`);
        cleanups.push({ name: 'stop the probe consumer', run: () => probe.stop() });
        await probe.start();
        rig = {
          kafka,
          producer,
          pool: handle.pool,
          inputOf: { mainspring: topics.mainspringIn, plain: topics.plainIn, separate: topics.separateIn, oneProcessPlainStart: topics.onePlainIn },
          probe,
          sampler,
          processesOf: {
            mainspring: ['combined', 'temporal', 'kafka', 'postgres'],
            plain: ['plain', 'kafka', 'postgres'],
            separate: ['bridge', 'worker', 'temporal', 'kafka', 'postgres'],
            oneProcessPlainStart: ['combined-plain-start', 'temporal', 'kafka', 'postgres'],
          },
          nextSeed,
          users: config.users,
          usageLog,
        };
      });
      const ready = rig as PipelineRig | undefined;
      const startOtherWirings = async (): Promise<BenchChild[]> => {
        const taskQueue = `bench-${runId}-separate`;
        const onePlainQueue = `bench-${runId}-one-plain`;
        progress('starting the other wirings: worker and bridge as separate processes, and in one process with plain starts');
        const separate = await Promise.all([
          startChild('worker', 'worker', { taskQueue, modelName, topics: sagaTopics }, stack.childEnv, childOpts),
          startChild('bridge', 'bridge', { topic: topics.separateIn, taskQueue, groupId: `bench-${runId}-separate-bridge`, bridgeOptions }, stack.childEnv, childOpts),
          startChild(
            'combined-plain-start',
            'combined',
            {
              worker: { taskQueue: onePlainQueue, modelName, topics: sagaTopics },
              bridge: { topic: topics.onePlainIn, taskQueue: onePlainQueue, groupId: `bench-${runId}-one-plain-bridge`, bridgeOptions },
              eagerStart: false,
            },
            stack.childEnv,
            childOpts,
          ),
        ]);
        children.push(...separate);
        for (const c of separate) sampler.set({ name: c.name, pid: c.pid });
        return separate;
      };
      if (ready) {
        await section(ctx, 'throughput', async () => {
          // The other wirings' children exist only around the backlogs (started, bundled and idle before).
          const separate = config.otherWirings ? await startOtherWirings() : [];
          try {
            throughput = await throughputScenario(ctx, ready, separate.length > 0);
          } finally {
            await Promise.all(separate.map((c) => c.stop()));
            for (const c of separate) sampler.remove(c.name);
          }
        });
        let latency: LatencyFigures | undefined;
        await section(ctx, 'latency', async () => {
          latency = await latencyScenario(ctx, ready, throughput ? throughputOf(throughput.mainspring).sustained : null);
        });
        let oneAtATime: Summary | undefined;
        await section(ctx, 'one at a time', async () => {
          oneAtATime = await oneAtATimeScenario(ctx, ready);
        });
        await section(ctx, 'ceiling ratios', async () => {
          if (!ceiling) throw new Error('no ceiling measured');
          ctx.rows.push(
            ...ceilingRatioRows(ceiling, {
              sagasPerSecond: throughput ? throughputOf(throughput.mainspring).sustained : null,
              oneAtATime: oneAtATime ?? null,
              atHalfCapacity: latency?.atHalfCapacity ?? null,
            }),
          );
        });
        await section(ctx, 'reconcile', () => reconcileScenario(ctx, ready));
        if (throughput) {
          const run = throughput;
          await section(ctx, 'footprint', () =>
            footprintScenario(ctx, {
              pool: handle.pool,
              temporal,
              mainspringPrefix: run.mainspring.prefix,
              plainPrefix: run.plain.prefix,
              events: mainspringSagas(ctx, run),
              temporalDbBytes: stack.external.temporal ? undefined : fileBytes(join(stackPaths(stack.home).data('temporal'), 'temporal.db')),
            }),
          );
        }
        resourceRows(ctx, usageLog);
        progress('stopping the worker, the bridge and the plain consumer');
        await Promise.all(children.map((c) => c.stop()));
        for (const c of children) sampler.remove(c.name);
        await section(ctx, 'accept', () =>
          acceptScenario(ctx, { producer, topic: topics.accept, runId, modelName, sagaTopics, childEnv: stack.childEnv, logDir, execArgv, sampler, seed: nextSeed(), users: config.users }),
        );
        if (config.rehearsal) {
          const dev = { sagasPerSecond: throughput ? throughputOf(throughput.mainspring).sustained : null, oneAtATime: oneAtATime ?? null, ceiling: ceiling ?? null };
          await section(ctx, 'rehearsal topology', () => rehearsalScenario(ctx, { devDb: handle, modelName, sampler, logDir, execArgv, nextSeed, dev }));
        }
      } else {
        for (const s of pipelineSections) ctx.sections[s] ??= { status: 'skipped', reason: 'pipeline set-up failed' };
      }
    }
  } catch (err) {
    if (io.signal.aborted || err instanceof BenchInterrupted) {
      status = 'interrupted';
      ctx.problems.push('interrupted (SIGINT): the results below are partial');
    } else {
      status = 'failed';
      ctx.problems.push(`run failed: ${err instanceof Error ? err.message : String(err)}`);
      progress(`run failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      progress(`cleanup: ${cleanup.name}`);
      try {
        await withTimeout(cleanup.run(), 60_000);
      } catch (err) {
        ctx.problems.push(`cleanup "${cleanup.name}" failed: ${(err as Error).message}`);
      }
    }
    rmSync(workDir, { recursive: true, force: true });
  }
  // Written by each child as it exits, so read after the clean-up stopped them all.
  if (config.cpuProfile && profileDir) ctx.details.cpuProfiles = summarizeProfiles(profileDir, childNames);

  if (status === 'ok' && Object.values(ctx.sections).some((s) => s.status !== 'ok')) status = 'partial';
  const finished = new Date();
  const result: BenchResult = {
    tool: 'mainspring-bench',
    formatVersion: 1,
    mode: config.mode,
    status,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    wallSeconds: (finished.getTime() - started.getTime()) / 1000,
    machine,
    config: { ...config },
    environment,
    sections: ctx.sections,
    rows: ctx.rows,
    details: ctx.details,
    problems: ctx.problems,
  };
  const markdown = renderMarkdown(result);
  const jsonPath = join(outDir, `${stem}.json`);
  const markdownPath = join(outDir, `${stem}.md`);
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(markdownPath, markdown);
  return { result, markdown, jsonPath, markdownPath };
}

function mainspringSagas(ctx: BenchContext, run: { mainspring: LoadRun }): number {
  let n = run.mainspring.decisionRows;
  for (const r of Object.values((ctx.details.latency ?? {}) as Record<string, { mainspring: { scored: { n: number } } }>)) n += r.mainspring.scored.n;
  return n;
}

function fileBytes(path: string): number | undefined {
  let total = 0;
  let found = false;
  for (const p of [path, `${path}-wal`]) {
    if (existsSync(p)) {
      total += statSync(p).size;
      found = true;
    }
  }
  return found ? total : undefined;
}

/** Peak RSS and CPU share of each process over the pipeline scenarios. */
function resourceRows(ctx: BenchContext, log: Array<{ scenario: string; usage: ProcUsage[] }>): void {
  const peak = (name: string) => {
    const values = log.flatMap((l) => l.usage.filter((u) => u.name === name).map((u) => u.peakRssMB));
    return values.length > 0 ? Math.max(...values) : null;
  };
  const cpuIn = (scenario: string, name: string) => log.find((l) => l.scenario === scenario)?.usage.find((u) => u.name === name)?.cpuPercent ?? null;
  ctx.details.resources = { perScenario: log };
  const rows: ComparisonRow[] = [
    {
      section: 'resources',
      metric: 'worker + bridge process RSS, peak over the pipeline scenarios',
      mainspring: { value: peak('combined'), unit: 'MB' },
      other: { name: 'plain consumer', value: peak('plain'), unit: 'MB' },
      ratio: { value: ratio(peak('combined'), peak('plain')), label: 'mainspring ÷ plain' },
      target: { text: '≤ 512 MB', verdict: atMost(peak('combined'), 512) },
    },
    {
      section: 'resources',
      metric: 'separate processes: worker RSS | bridge RSS, peak',
      mainspring: { value: peak('worker'), unit: 'MB' },
      other: { name: 'bridge', value: peak('bridge'), unit: 'MB' },
    },
    {
      section: 'resources',
      metric: 'CPU during the throughput backlog, % of one core: worker + bridge | plain consumer',
      mainspring: { value: cpuIn('throughput mainspring', 'combined'), unit: '%' },
      other: { name: 'plain consumer', value: cpuIn('throughput plain', 'plain'), unit: '%' },
    },
    {
      section: 'resources',
      metric: 'CPU during the throughput backlog, % of one core: Temporal server (durable) | Kafka (plain)',
      mainspring: { value: cpuIn('throughput mainspring', 'temporal'), unit: '%' },
      other: { name: 'Kafka during the plain backlog', value: cpuIn('throughput plain', 'kafka'), unit: '%' },
    },
    {
      section: 'resources',
      metric: 'CPU during the throughput backlog, % of one core: PostgreSQL (durable | plain)',
      mainspring: { value: cpuIn('throughput mainspring', 'postgres'), unit: '%' },
      other: { name: 'plain', value: cpuIn('throughput plain', 'postgres'), unit: '%' },
    },
  ];
  ctx.rows.push(...rows);
}

async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

/** Against a shared database: remove exactly what this run wrote. */
async function deleteBenchRows(handle: DbHandle, prefixes: string[], modelName: string, users: string[]): Promise<void> {
  const q = (text: string, params: unknown[]) => handle.pool.query(text, params);
  for (const prefix of prefixes) {
    const like = `${prefix}%`;
    await q(`delete from risk_adjustment ra using decision d where d.payment_id like $1 and ra.idempotency_key like d.workflow_id || ':%'`, [like]);
    await q(`delete from compensation_ledger cl using decision d where d.payment_id like $1 and cl.workflow_id = d.workflow_id`, [like]);
    for (const table of ['decision', 'payment_event', 'feature_log', 'payment_hold', 'notification', 'label']) await q(`delete from ${table} where payment_id like $1`, [like]);
  }
  for (const table of ['model_alias_history', 'model_alias', 'drift_report', 'model_version']) await q(`delete from ${table} where model_name = $1`, [modelName]);
  if (users.length > 0) await q(`delete from user_risk_profile where user_id = any($1)`, [users]);
}

/** Against a shared Temporal: the run's sagas (FLAGs wait days for review) and never-started accept-queue workflows. */
async function terminateBenchWorkflows(client: Client, runId: string): Promise<void> {
  for (const queue of ['payments', 'separate', 'one-plain', 'ceiling', 'accept'].map((q) => `bench-${runId}-${q}`)) {
    for await (const wf of client.workflow.list({ query: `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'` })) {
      await client.workflow.getHandle(wf.workflowId, wf.runId).terminate('bench run finished').catch(() => undefined);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms)))]).finally(() => clearTimeout(timer));
}
