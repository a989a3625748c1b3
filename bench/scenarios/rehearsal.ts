// The pipeline on the production topology (stack/rehearsal/: the Temporal server on PostgreSQL, three Kafka brokers
// with replication 3), in the same run and on the same machine as the dev-server figures, after them. Measured: the
// ceiling of that server (empty workflows/s, bare saga-shaped one at a time), sagas/s on a backlog, event →
// payments.scored one at a time, and the Temporal server's CPU per saga. Every row is labelled `rehearsal`.
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { logLevel } from 'kafkajs';
import { createDb, type DbHandle } from '../../src/db/client';
import { modelAlias, modelVersion } from '../../src/db/schema';
import { createKafka } from '../../src/kafka/client';
import { dlqTopic } from '../../src/kafka/topics';
import { readPid } from '../../stack/processes';
import { stackPaths } from '../../stack/paths';
import { REHEARSAL_BROKERS, startRehearsalStack } from '../../stack/rehearsal/rehearsal-stack';
import { clearStaleStack } from '../../stack/throwaway';
import type { CeilingResult } from '../lib/ceiling';
import { ceilingRatioRows } from '../lib/ceiling';
import { startChild, type BenchChild } from '../lib/children';
import { IN_FLIGHT_PER_PARTITION } from '../lib/config';
import type { BenchContext } from '../lib/context';
import type { ProcSampler, ProcUsage } from '../lib/proc-stats';
import type { ComparisonRow } from '../lib/report';
import { createTopicsReady, seedProfiles } from '../lib/setup-data';
import { ratio, summarize, type Summary } from '../lib/stats';
import { ceilingScenario } from './ceiling';
import { runLoad, ScoredProbe, throughputOf, warmUp, type PipelineRig } from './pipeline';

export interface RehearsalRig {
  /** The dev stack's database, where the bench's champion is registered (copied over, same bytes). */
  devDb: DbHandle;
  modelName: string;
  sampler: ProcSampler;
  logDir: string;
  execArgv: string[];
  nextSeed(): number;
  /** The dev server's figures of this run, for the side-by-side rows. */
  dev: { sagasPerSecond: number | null; oneAtATime: Summary | null; ceiling: CeilingResult | null };
}

const SERVER_PROCESSES = ['temporal'];

export async function rehearsalScenario(ctx: BenchContext, rig: RehearsalRig): Promise<void> {
  const home = join(ctx.root, '.mainspring', 'bench-rehearsal-stack');
  await clearStaleStack(home, ctx.progress);
  ctx.progress('rehearsal: building (once) and starting the Temporal server on PostgreSQL, its UI and three Kafka brokers');
  const stack = await startRehearsalStack({ root: ctx.root, home, partitions: ctx.config.kafkaPartitions, progress: (line) => ctx.progress(`rehearsal: ${line}`) });
  const cleanups: Array<() => Promise<unknown>> = [() => stack.down()];
  const firstRow = ctx.rows.length;
  try {
    const paths = stackPaths(home);
    // The samples of the dev stack's services stop here; the rehearsal's take their names (server CPU per saga).
    for (const name of ['temporal', 'kafka', 'postgres']) rig.sampler.remove(name);
    for (const name of ['temporal', 'postgres', ...Array.from({ length: REHEARSAL_BROKERS }, (_, i) => `kafka-${i + 1}`)]) {
      const pid = readPid(paths.pid(name));
      if (pid !== undefined) rig.sampler.set({ name, pid, group: true });
    }
    const childEnv: NodeJS.ProcessEnv = { ...stack.env, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' };
    const db = createDb(stack.endpoints.databaseUrl, { max: 4 });
    cleanups.unshift(() => db.close());
    await copyChampion(rig.devDb, db, rig.modelName);
    await seedProfiles(db, ctx.config.users);

    const devCeiling = ctx.details.ceiling;
    const ceiling = await ceilingScenario(ctx, { childEnv, logDir: rig.logDir, execArgv: rig.execArgv, sampler: rig.sampler });
    // ceilingScenario files its details under `ceiling`: the dev server's stay there.
    ctx.details.rehearsalCeiling = ctx.details.ceiling;
    ctx.details.ceiling = devCeiling;

    const prefix = `bench.${ctx.runId}.rehearsal`;
    const sagaTopics = { scored: `${prefix}.payments.scored`, flagged: `${prefix}.payments.flagged`, flagRetracted: `${prefix}.payments.flag-retracted`, labeled: `${prefix}.payments.labeled` };
    const input = `${prefix}.payments.initiated`;
    const kafka = createKafka(stack.config.kafka, { logLevel: logLevel.ERROR });
    await createTopicsReady(kafka, [input, dlqTopic(input), ...Object.values(sagaTopics)], ctx.config.kafkaPartitions);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    cleanups.unshift(() => producer.disconnect());

    const taskQueue = `bench-${ctx.runId}-rehearsal`;
    ctx.progress('rehearsal: starting worker + bridge in one process against the rehearsal topology');
    const combined: BenchChild = await startChild(
      'rehearsal-combined',
      'combined',
      {
        worker: { taskQueue, modelName: rig.modelName, topics: sagaTopics },
        bridge: { topic: input, taskQueue, groupId: `bench-${ctx.runId}-rehearsal-bridge`, bridgeOptions: { maxInFlightPerPartition: IN_FLIGHT_PER_PARTITION } },
        eagerStart: true,
      },
      childEnv,
      { logDir: rig.logDir, execArgv: rig.execArgv, signal: ctx.signal },
    );
    cleanups.unshift(() => combined.stop());
    rig.sampler.set({ name: combined.name, pid: combined.pid });
    const probe = new ScoredProbe(kafka, sagaTopics.scored, `bench-${ctx.runId}-rehearsal-probe`);
    await probe.start();
    cleanups.unshift(() => probe.stop());
    const usageLog: Array<{ scenario: string; usage: ProcUsage[] }> = [];
    // The steady window's CPU is the server's alone: Temporal CPU per saga on PostgreSQL.
    const pipeline: PipelineRig = { kafka, producer, pool: db.pool, inputOf: { mainspring: input }, probe, sampler: rig.sampler, processesOf: { mainspring: SERVER_PROCESSES }, nextSeed: rig.nextSeed, users: ctx.config.users, usageLog };

    await warmUp(ctx, pipeline, 'mainspring');
    const backlog = await runLoad(ctx, pipeline, 'mainspring', ctx.config.throughputEvents, { kind: 'backlog' }, 'rehearsal throughput');
    const oneAtATime = await runLoad(ctx, pipeline, 'mainspring', ctx.config.oneAtATimeEvents, { kind: 'one-at-a-time' }, 'rehearsal one at a time');
    const sagasPerSecond = throughputOf(backlog).sustained;
    const single = summarize(oneAtATime.latenciesMs);
    ctx.details.rehearsal = { endpoints: stack.endpoints, ceiling, backlog: { sustained: sagasPerSecond, lost: backlog.lost, steadyCpu: backlog.steadyCpu }, oneAtATime: { ...single, lost: oneAtATime.lost }, usage: usageLog };

    ctx.rows.push(...ceilingRatioRows(ceiling, { sagasPerSecond, oneAtATime: single, atHalfCapacity: null }).filter((r) => !r.metric.includes('50 %')));
    ctx.rows.push(...sideBySideRows(rig.dev, { sagasPerSecond, oneAtATime: single, ceiling, serverCpuPer1000: backlog.steadyCpu?.per1000 ?? null, lost: backlog.lost + oneAtATime.lost }));
  } finally {
    // Everything the rehearsal pushed carries its label, whatever scenario code wrote it.
    for (const row of ctx.rows.slice(firstRow)) row.section = row.section.startsWith('rehearsal') ? row.section : `rehearsal: ${row.section}`;
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => ctx.progress(`rehearsal: clean-up failed: ${String(err)}`));
  }
}

/** The bench's champion, byte for byte, in the rehearsal's database (versions are immutable rows). */
async function copyChampion(from: DbHandle, to: DbHandle, modelName: string): Promise<void> {
  const versions = await from.db.select().from(modelVersion).where(eq(modelVersion.modelName, modelName));
  for (const { id: _id, ...row } of versions) await to.db.insert(modelVersion).values(row).onConflictDoNothing();
  const aliases = await from.db.select().from(modelAlias).where(eq(modelAlias.modelName, modelName));
  for (const row of aliases) await to.db.insert(modelAlias).values(row).onConflictDoNothing();
  if (!aliases.some((a) => a.alias === 'champion')) throw new Error(`${modelName} has no champion to copy to the rehearsal`);
}

function sideBySideRows(
  dev: RehearsalRig['dev'],
  rehearsal: { sagasPerSecond: number | null; oneAtATime: Summary; ceiling: CeilingResult; serverCpuPer1000: number | null; lost: number },
): ComparisonRow[] {
  const label = 'rehearsal topology';
  const devName = 'dev server (SQLite), 1 broker, same run';
  return [
    {
      section: label,
      metric: 'sustained sagas/s on a backlog (Temporal server on PostgreSQL, 3 brokers, replication 3)',
      mainspring: { value: rehearsal.sagasPerSecond, unit: 'sagas/s' },
      other: { name: devName, value: dev.sagasPerSecond, unit: 'sagas/s' },
      ratio: { value: ratio(rehearsal.sagasPerSecond, dev.sagasPerSecond), label: 'rehearsal ÷ dev' },
    },
    {
      section: label,
      metric: 'empty workflows/s (the server’s own ceiling)',
      mainspring: { value: rehearsal.ceiling.emptyThroughput.perSecond, unit: 'sagas/s' },
      other: { name: devName, value: dev.ceiling?.emptyThroughput.perSecond ?? null, unit: 'sagas/s' },
      ratio: { value: ratio(rehearsal.ceiling.emptyThroughput.perSecond, dev.ceiling?.emptyThroughput.perSecond), label: 'rehearsal ÷ dev' },
    },
    {
      section: label,
      metric: 'event → payments.scored one at a time, p50; p99',
      mainspring: { value: rehearsal.oneAtATime.n > 0 ? rehearsal.oneAtATime.p50 : null, unit: 'ms', note: `p99 ${Math.round(rehearsal.oneAtATime.p99)} ms, n ${rehearsal.oneAtATime.n}` },
      other: { name: devName, value: dev.oneAtATime && dev.oneAtATime.n > 0 ? dev.oneAtATime.p50 : null, unit: 'ms', ...(dev.oneAtATime ? { note: `p99 ${Math.round(dev.oneAtATime.p99)} ms` } : {}) },
      ratio: { value: ratio(rehearsal.oneAtATime.p50, dev.oneAtATime?.p50), label: 'rehearsal ÷ dev' },
    },
    {
      section: label,
      metric: 'Temporal server CPU per 1,000 sagas (steady window of the backlog; all roles, one process)',
      mainspring: { value: rehearsal.serverCpuPer1000, unit: 'cpu-s' },
    },
    {
      section: label,
      metric: 'lost (backlog + one at a time)',
      mainspring: { value: rehearsal.lost, unit: 'count' },
      target: { text: '0 lost', verdict: rehearsal.lost <= 0 ? 'pass' : 'miss' },
    },
  ];
}
