import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { logLevel, type Admin, type Kafka, type Producer } from 'kafkajs';
import { learningWorkflowId, statusQuery, type LearningLoopConfigInput } from '../../workflows/learning-loop/learning-loop.messages';
import { table } from '../output';
import { createDb, type DbHandle } from '../../src/db/client';
import { ensureLearningLoop } from '../demo/run-demo';
import { seedRiskProfiles } from '../demo/seed';
import { createKafka } from '../../src/kafka/client';
import { decodeRecord, recordEventId } from '../../src/kafka/cloudevents-binding';
import { DLQ_HEADERS } from '../../src/kafka/dlq';
import { connectProducer, sendRecords } from '../../src/kafka/producer';
import { dlqTopic, TOPICS } from '../../src/kafka/topics';
import { promote } from '../../src/model/registry';
import { generatePopulation, generateTrainingSet } from '../../src/model/synthetic';
import { trainAndRegister } from '../../src/model/training-pipeline';
import { stackPaths } from '../../stack/paths';
import { findFreePort } from '../../src/lifecycle/ports';
import { isAlive, readPid, sleep } from '../../stack/processes';
import { clearStaleStack, startThrowawayStack, type ThrowawayStack } from '../../stack/throwaway';
import { connectTemporal } from '../../src/temporal/client';
import { ManagedChild } from './children';
import { buildRecords, CHAOS_INDEX_HEADER, type ChaosRecord } from './events';
import { checkInvariants, type ChaosObservations, type CommitSample, type InvariantReport, type LearningObservation } from './invariants';
import { planFaults, planStream, REJECT_NOTIFICATIONS_MS, type FaultKind, type PlannedFault } from './schedule';
import { headerString, readTopicSnapshot, type TopicRecord } from '../../src/kafka/topic-snapshot';
import { OUTBOX_TXN_HEADER } from '../../src/kafka/outbox/shard';
import { PAYMENT_SAGA_WORKFLOW_TYPE } from '../../workflows/payment-saga/payment-saga.messages';

export interface ChaosOptions {
  seed: number;
  events: number;
  poisonShare: number;
  faults: FaultKind[];
  pauseSeconds: number;
  short: boolean;
  keep: boolean;
  /** Events produced per second (the faults are spread over the stream, so this sets the run's length). */
  rate: number;
  modelName: string;
  /** Written to the summary as the command that reproduces this run. */
  reproduce: string;
  /**
   * `dev`: the throw-away dev stack (dev server, one broker), one worker and one bridge. `rehearsal`: the production
   * topology (stack/rehearsal/): the Temporal server on PostgreSQL, three brokers, two workers and two bridges.
   */
  topology?: 'dev' | 'rehearsal';
}

interface FaultRecord extends PlannedFault {
  startedAtS?: number;
  recoveredAtS?: number;
  error?: string;
}

const BRIDGE_GROUP = 'mainspring-bridge';
const USERS = 2000;

/** A chaos run from an empty stack to the summary table; resolves to the process exit code. */
export async function runChaos(root: string, options: ChaosOptions, say: (line: string) => void): Promise<number> {
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  const log = (line: string) => say(`[${elapsed().toFixed(0).padStart(4)} s] ${line}`);
  say(`${options.topology === 'rehearsal' ? 'rehearsal (Temporal server on PostgreSQL, 3 Kafka brokers, 2 workers, 2 bridges)' : 'chaos'} seed ${options.seed}: ${options.events} events, ${Math.round(options.poisonShare * 100)} % poison, faults ${options.faults.join(',')}${options.short ? ' (short)' : ''}`);
  say(`reproduce: ${options.reproduce}`);

  const plan = planStream({ seed: options.seed, events: options.events, poisonShare: options.poisonShare });
  const faults: FaultRecord[] = planFaults({ seed: options.seed, events: options.events, kinds: options.faults, perKind: options.short ? 1 : 2 });
  say(`fault plan: ${faults.map((f) => `${f.kind}@${f.atEvent}`).join(' ')}`);

  const rehearsal = options.topology === 'rehearsal';
  const home = join(root, '.mainspring', rehearsal ? 'rehearsal-stack' : 'chaos-stack');
  const state: { stack?: ThrowawayStack; children: ManagedChild[]; db?: DbHandle; producer?: Producer; admin?: Admin; closeTemporal?: () => Promise<void>; pausedPid?: number } = { children: [] };
  const abort = new AbortController();
  let cleaned: Promise<void> | undefined;
  let failed = false;
  // Another live run may own the stack directory (clearStaleStack refuses then): leave its logs and data alone.
  let ownsHome = false;
  const cleanup = () =>
    (cleaned ??= (async () => {
      abort.abort();
      if (state.pausedPid !== undefined) signalGroup(state.pausedPid, 'SIGCONT');
      for (const child of [...state.children].reverse()) await child.stop().catch(() => undefined);
      await state.producer?.disconnect().catch(() => undefined);
      await state.admin?.disconnect().catch(() => undefined);
      await state.closeTemporal?.().catch(() => undefined);
      // An interrupted reject-notifications fault must not leave its trigger in kept data.
      if (state.db) await rejectFraudCaseNotifications(state.db, false).catch(() => undefined);
      await state.db?.close().catch(() => undefined);
      if (!ownsHome) return;
      // A failed run's logs outlive the throw-away stack: the invariants say what went wrong, the logs say why.
      if (failed && !options.keep) {
        const saved = join(root, '.mainspring', 'chaos-logs', `${rehearsal ? 'rehearsal-' : ''}seed-${options.seed}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
        try {
          cpSync(join(home, 'logs'), saved, { recursive: true });
          say(`logs of the worker, bridge and stack saved in ${saved}`);
        } catch (err) {
          say(`could not save the logs: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      if (state.stack) {
        if (options.keep) {
          await state.stack.stack.down({ wipe: false });
          say(`stack stopped, data kept in ${home}`);
        } else await state.stack.down();
      } else if (!options.keep) rmSync(home, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    if (cleaned) process.exit(130);
    say(`${signal}: stopping children and the stack (again to exit at once)`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await clearStaleStack(home, log);
    ownsHome = true;
    if (rehearsal) {
      const { startRehearsalStack } = await import('../../stack/rehearsal/rehearsal-stack.js');
      state.stack = await startRehearsalStack({ root, home, partitions: 6, progress: log });
      log(`rehearsal topology up: Temporal ${state.stack.endpoints.temporalAddress} (UI ${state.stack.endpoints.temporalUi}), Kafka ${state.stack.endpoints.kafkaBrokers.join(',')}`);
    } else {
      state.stack = await startThrowawayStack({ root, home, partitions: 6, progress: log });
    }
    const { env, endpoints } = state.stack;
    const paths = stackPaths(home);
    const db = (state.db = createDb(endpoints.databaseUrl, { max: 4 }));
    // Idle connections die with the PostgreSQL fault; the pool drops them and reconnects on the next query.
    db.pool.on('error', () => undefined);

    // The synthetic world and its first champion, as `npm start` prepares them (fewer training rows in --short).
    const { users } = generatePopulation({ seed: options.seed, users: USERS });
    await seedRiskProfiles(db.db, users);
    const rows = options.short ? 20_000 : 50_000;
    log(`seeded ${users.length} users; training the champion on ${rows} synthetic payments`);
    const history = generateTrainingSet({ rows, seed: options.seed, users: USERS });
    const trained = await trainAndRegister(db.db, { X: history.X, y: history.y, eventTimeMs: history.eventTimeMs, labelTimeMs: history.labelTimeMs, source: `synthetic-history:seed=${options.seed}` }, { modelName: options.modelName, seed: options.seed });
    await promote(db.db, options.modelName, trained.version.version, 'chaos', 'champion of the chaos run');
    log(`champion ${trained.version.version}`);

    // Each process its own metrics ports (two workers and two bridges share the machine in a rehearsal).
    const child = async (command: 'worker' | 'bridge', name: string, args: string[]) => {
      const childEnv: NodeJS.ProcessEnv = {
        ...env,
        MAINSPRING_WORKER_METRICS_PORT: String(await findFreePort()),
        MAINSPRING_BRIDGE_METRICS_PORT: String(await findFreePort()),
        MAINSPRING_WORKER_SDK_METRICS_PORT: String(await findFreePort()),
        LOG_LEVEL: 'info',
      };
      return new ManagedChild(name, { command: process.execPath, args: [join(root, 'bin', 'mainspring'), command, ...args], env: childEnv, cwd: root, logFile: paths.log(name), pidFile: paths.pid(name), readyLine: `"msg":"${command} running"` }, log);
    };
    const replicas = rehearsal ? 2 : 1;
    const nameOf = (command: string, i: number) => (replicas === 1 ? command : `${command}-${i + 1}`);
    const workers: ManagedChild[] = [];
    const bridges: ManagedChild[] = [];
    for (let i = 0; i < replicas; i++) workers.push(await child('worker', nameOf('worker', i), ['--model', options.modelName]));
    for (let i = 0; i < replicas; i++) bridges.push(await child('bridge', nameOf('bridge', i), []));
    state.children.push(...workers, ...bridges);
    log(`starting ${replicas === 1 ? 'the worker and the bridge' : `${replicas} workers and ${replicas} bridges`} (child processes)`);
    await Promise.all([...workers, ...bridges].map((c) => c.start()));

    const { client, connection } = await connectTemporal(state.stack.config.temporal);
    state.closeTemporal = () => connection.close();
    await ensureLearningLoop(client, options.modelName, chaosLearningConfig());

    const kafka = createKafka(state.stack.config.kafka, { logLevel: logLevel.NOTHING });
    const records = buildRecords(plan, { seed: options.seed, users: USERS, ratePerSecond: options.rate, modelName: options.modelName });
    const samples: CommitSample[] = [];
    const sampler = sampleCommits(kafka, samples, abort.signal);

    // Faults run one after another; the stream waits at a fault's trigger point until the previous one recovered.
    let faultChain: Promise<void> = Promise.resolve();
    let nextFault = 0;
    const inject = async (f: FaultRecord) => {
      f.startedAtS = elapsed();
      log(`FAULT ${f.kind} at event ${f.atEvent}`);
      try {
        await injectFault(f, { stack: state.stack!, paths, workers, bridges, db, kafka, pauseMs: options.pauseSeconds * 1000, log, setPaused: (pid) => (state.pausedPid = pid) });
        f.recoveredAtS = elapsed();
        log(`recovered from ${f.kind} after ${(f.recoveredAtS - f.startedAtS).toFixed(0)} s`);
      } catch (err) {
        f.error = err instanceof Error ? err.message : String(err);
        log(`fault ${f.kind} could not be recovered: ${f.error}`);
      }
    };

    const produced = { events: 0, labels: 0 };
    let producer = (state.producer = await connectProducer(kafka));
    const send = async (topic: string, messages: Array<{ key: string | null; value: Buffer; headers: Record<string, string> }>) => {
      // A send that fails during a broker outage is retried with a fresh producer; a record may then be written twice,
      // which the bridge must absorb (same event id → same workflow id).
      for (let attempt = 1; !abort.signal.aborted; attempt += 1) {
        try {
          // Not producer.send: that can acknowledge a batch without a partition whose leader was just killed.
          await sendRecords(producer, topic, messages);
          return;
        } catch (err) {
          if (attempt % 5 === 1) log(`produce to ${topic} failed (${err instanceof Error ? err.message : String(err)}); retrying`);
          await producer.disconnect().catch(() => undefined);
          await sleep(1000);
          producer = state.producer = await connectProducer(kafka).catch(() => producer);
        }
      }
    };
    const streamStarted = Date.now();
    let lastProgress = 0;
    const tickMs = 200;
    const perTick = Math.max(1, Math.round((options.rate * tickMs) / 1000));
    for (let i = 0; i < records.length && !abort.signal.aborted; i += perTick) {
      while (nextFault < faults.length && faults[nextFault].atEvent <= i) {
        await faultChain;
        const f = faults[nextFault++];
        faultChain = inject(f);
      }
      const slice = records.slice(i, i + perTick);
      await send(TOPICS.paymentsInitiated, slice.map((r) => ({ key: r.key, value: r.value, headers: { [CHAOS_INDEX_HEADER]: String(r.index) } })));
      const labels = slice.filter((r): r is ChaosRecord & { label: NonNullable<ChaosRecord['label']> } => r.label !== undefined);
      if (labels.length > 0) await send(TOPICS.paymentsLabeled, labels.map((r) => ({ key: r.label.key, value: r.label.value, headers: { [CHAOS_INDEX_HEADER]: String(r.index) } })));
      produced.events += slice.length;
      produced.labels += labels.length;
      if (Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        log(`produced ${produced.events}/${records.length} events, ${produced.labels} labels; ${await decisionCount(db).catch(() => '?')} decisions`);
      }
      const wait = streamStarted + ((i + perTick) / options.rate) * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
    }
    while (nextFault < faults.length && !abort.signal.aborted) {
      await faultChain;
      faultChain = inject(faults[nextFault++]);
    }
    await faultChain;
    // Interrupted (SIGINT/SIGTERM): the signal handler cleans up and exits; checking half a run would mislead.
    if (abort.signal.aborted) return 130;
    const streamEnded = Date.now();
    log(`stream done: ${produced.events} events, ${produced.labels} labels; all faults injected; waiting for the pipeline to drain`);

    const valid = records.filter((r) => r.eventId !== undefined);
    const expectedLabels = new Set(records.filter((r) => r.label).map((r) => r.paymentId)).size;
    const drained = await waitForDrain({ kafka, db, validCount: valid.length, expectedLabels, short: options.short, log, signal: abort.signal });
    const drainSeconds = (Date.now() - streamEnded) / 1000;
    abort.abort();
    await sampler;
    log(drained ? `drained in ${drainSeconds.toFixed(0)} s; collecting what happened` : 'not drained (stalled); checking anyway');

    const requireCompensation = faults.some((f) => f.kind === 'reject-notifications' && !f.error);
    const observations = await collect({ kafka, db, client, modelName: options.modelName, records, plan, samples, expectedLabels, requireCompensation });
    const report = checkInvariants({ ...observations, unexpectedExits: Object.fromEntries(state.children.map((c) => [c.name, c.unexpectedExits])) });
    printSummary(say, { options, faults, report, valid: valid.length, poison: records.length - valid.length, labels: expectedLabels, streamSeconds: (streamEnded - streamStarted) / 1000, drainSeconds, drained, totalSeconds: elapsed(), exits: state.children.map((c) => `${c.name} ${c.unexpectedExits}`).join(', ') });
    const ok = report.ok && drained && faults.every((f) => !f.error);
    const what = rehearsal ? 'rehearsal' : 'chaos run';
    say(ok ? `${what} PASSED` : `${what} FAILED — reproduce with: ${options.reproduce}`);
    failed = !ok;
    return ok ? 0 : 1;
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

/** The learning loop is started (it consumes the labels) but must not retrain on a busy 2-core machine mid-run. */
function chaosLearningConfig(): LearningLoopConfigInput {
  return { triggers: { volumeLabels: 1_000_000, maxChampionAge: null, cooldown: '1h' }, drift: { checkInterval: null } } as LearningLoopConfigInput;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

async function injectFault(
  f: PlannedFault,
  ctx: { stack: ThrowawayStack; paths: ReturnType<typeof stackPaths>; workers: ManagedChild[]; bridges: ManagedChild[]; db: DbHandle; kafka: Kafka; pauseMs: number; log: (line: string) => void; setPaused: (pid: number | undefined) => void },
): Promise<void> {
  if (f.kind === 'reject-notifications') {
    await rejectFraudCaseNotifications(ctx.db, true);
    try {
      await sleep(REJECT_NOTIFICATIONS_MS);
    } finally {
      await rejectFraudCaseNotifications(ctx.db, false);
    }
    return;
  }
  if (f.kind === 'worker' || f.kind === 'bridge') {
    // With two of each, the one to kill follows from the fault's time (seeded): both get their turn across seeds.
    const pool = f.kind === 'worker' ? ctx.workers : ctx.bridges;
    const target = pool[f.downMs % pool.length];
    if (pool.length > 1) ctx.log(`  killing ${target.name}`);
    await target.kill9();
    await sleep(f.downMs);
    await target.start();
    return;
  }
  const name = f.kind === 'pause-temporal' ? 'temporal' : f.kind === 'pause-postgres' ? 'postgres' : f.kind === 'kafka' ? await kafkaNodeToKill(ctx) : f.kind;
  const component = ctx.stack.stack.component(name);
  const pid = readPid(ctx.paths.pid(name));
  if (!component || pid === undefined) throw new Error(`${name} is not managed by the chaos stack (external?)`);
  if (f.kind === 'pause-temporal' || f.kind === 'pause-postgres') {
    ctx.setPaused(pid);
    signalGroup(pid, 'SIGSTOP');
    await sleep(ctx.pauseMs);
    signalGroup(pid, 'SIGCONT');
    ctx.setPaused(undefined);
    return;
  }
  // The whole process group: PostgreSQL's backends and Kafka's JVM die with their parent, as in a host crash.
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  await sleep(f.downMs);
  // Restart through the component's own start: same ports, same data directory (Temporal's SQLite file).
  await component.start((line) => ctx.log(`  ${line}`));
}

/**
 * The Kafka node to kill: the only one on the dev stack; in a cluster, the leader of payments.initiated's partition 0,
 * so leadership has to move while the bridges consume and the workers publish.
 */
async function kafkaNodeToKill(ctx: { stack: ThrowawayStack; kafka: Kafka; log: (line: string) => void }): Promise<string> {
  if (ctx.stack.stack.component('kafka')) return 'kafka';
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [TOPICS.paymentsInitiated] });
    const leader = topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader ?? 1;
    ctx.log(`  killing kafka-${leader} (leader of ${TOPICS.paymentsInitiated}/0)`);
    return `kafka-${leader}`;
  } finally {
    await admin.disconnect();
  }
}

/**
 * A dependency that refuses work for longer than the retry budget, the way a saga meets it: a trigger makes
 * PostgreSQL reject every new fraud-case notification (the saga's notify step), nothing else.
 */
async function rejectFraudCaseNotifications(db: DbHandle, reject: boolean): Promise<void> {
  if (!reject) {
    await db.pool.query('drop trigger if exists chaos_reject_fraud_case on notification; drop function if exists chaos_reject_fraud_case()');
    return;
  }
  await db.pool.query(`create or replace function chaos_reject_fraud_case() returns trigger language plpgsql as $$
    begin raise exception 'chaos: fraud-case notifications are refused' using errcode = 'P0001'; end $$`);
  await db.pool.query(`create trigger chaos_reject_fraud_case before insert on notification for each row when (new.kind = 'fraud-case') execute function chaos_reject_fraud_case()`);
}

/** ` (<the outbox transaction that wrote it>)`, or nothing for a record without the relay's header. */
function outboxTxnOf(r: TopicRecord): string {
  const txn = headerString(r.headers, OUTBOX_TXN_HEADER);
  return txn === undefined ? '' : ` (${txn})`;
}

/** Payment id and envelope id of a record of one of the saga's topics, in whichever CloudEvents mode it was written. */
function paymentEventRef(r: TopicRecord): { paymentId: string; eventId: string } {
  const decoded = decodeRecord(r);
  const paymentId = decoded.ok ? (decoded.data as { paymentId?: unknown }).paymentId : undefined;
  return { paymentId: typeof paymentId === 'string' ? paymentId : '?', eventId: recordEventId(r) ?? '?' };
}

/** Every second: the group's committed offsets, then the DLQ's end offsets (in that order; see invariants.ts). */
async function sampleCommits(kafka: Kafka, samples: CommitSample[], signal: AbortSignal): Promise<void> {
  let admin: Admin | undefined;
  while (!signal.aborted) {
    try {
      if (!admin) {
        admin = kafka.admin({ retry: { retries: 0 } });
        await admin.connect();
      }
      const [offsets] = await admin.fetchOffsets({ groupId: BRIDGE_GROUP, topics: [TOPICS.paymentsInitiated] });
      const atMs = Date.now();
      const committed: Record<number, string> = {};
      for (const p of offsets?.partitions ?? []) if (BigInt(p.offset) >= 0n) committed[p.partition] = p.offset;
      const dlqHigh: Record<number, string> = {};
      for (const p of await admin.fetchTopicOffsets(dlqTopic(TOPICS.paymentsInitiated))) dlqHigh[p.partition] = p.high;
      samples.push({ atMs, committed, dlqHigh });
    } catch {
      await admin?.disconnect().catch(() => undefined);
      admin = undefined;
    }
    await sleep(1000);
  }
  await admin?.disconnect().catch(() => undefined);
}

async function decisionCount(db: DbHandle): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>('select count(*)::int as n from decision');
  return rows[0].n;
}

async function committedLag(admin: Admin, topic: string): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId: BRIDGE_GROUP, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  const byPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  let lag = 0n;
  for (const p of ends) {
    const c = byPartition.get(p.partition) ?? -1n;
    lag += BigInt(p.high) - (c < 0n ? BigInt(p.low) : c);
  }
  return Number(lag);
}

/** Waits until every valid event is decided, every label stored and the bridge committed everything; gives up on no progress. */
async function waitForDrain(o: { kafka: Kafka; db: DbHandle; validCount: number; expectedLabels: number; short: boolean; log: (line: string) => void; signal: AbortSignal }): Promise<boolean> {
  const stallMs = (o.short ? 4 : 8) * 60_000;
  let lastChange = Date.now();
  let last = '';
  let lastPrint = 0;
  const admin = o.kafka.admin();
  await admin.connect();
  try {
    while (!o.signal.aborted) {
      try {
        const decided = await decisionCount(o.db);
        const { rows } = await o.db.pool.query<{ n: number }>('select count(*)::int as n from label');
        const lag = await committedLag(admin, TOPICS.paymentsInitiated);
        const labelLag = await committedLag(admin, TOPICS.paymentsLabeled);
        const now = `${decided}/${o.validCount} decided, ${rows[0].n}/${o.expectedLabels} labels, lag ${lag} + ${labelLag}`;
        if (decided >= o.validCount && rows[0].n >= o.expectedLabels && lag === 0 && labelLag === 0) return true;
        if (now !== last) {
          last = now;
          lastChange = Date.now();
        }
        if (Date.now() - lastPrint > 10_000) {
          lastPrint = Date.now();
          o.log(`draining: ${now}`);
        }
      } catch (err) {
        o.log(`drain check failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (Date.now() - lastChange > stallMs) return false;
      await sleep(2000);
    }
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function collect(o: {
  kafka: Kafka;
  db: DbHandle;
  client: Client;
  modelName: string;
  records: ChaosRecord[];
  plan: ReturnType<typeof planStream>;
  samples: CommitSample[];
  expectedLabels: number;
  requireCompensation: boolean;
}): Promise<ChaosObservations> {
  const [source, dlq, flagged, scored, retracted] = await Promise.all([
    readTopicSnapshot(o.kafka, TOPICS.paymentsInitiated, { timeoutMs: 120_000, groupPrefix: 'mainspring-chaos-reader' }),
    readTopicSnapshot(o.kafka, dlqTopic(TOPICS.paymentsInitiated), { timeoutMs: 120_000, groupPrefix: 'mainspring-chaos-reader' }),
    readTopicSnapshot(o.kafka, TOPICS.paymentsFlagged, { timeoutMs: 120_000, groupPrefix: 'mainspring-chaos-reader' }),
    readTopicSnapshot(o.kafka, TOPICS.paymentsScored, { timeoutMs: 120_000, groupPrefix: 'mainspring-chaos-reader' }),
    readTopicSnapshot(o.kafka, TOPICS.paymentsFlagRetracted, { timeoutMs: 120_000, groupPrefix: 'mainspring-chaos-reader' }),
  ]);
  const workflows: ChaosObservations['workflows'] = [];
  for await (const w of o.client.workflow.list({ query: `WorkflowType = '${PAYMENT_SAGA_WORKFLOW_TYPE}'` })) {
    const paymentId = (w.searchAttributes?.PaymentId as string[] | undefined)?.[0];
    workflows.push({ workflowId: w.workflowId, runId: w.runId, paymentId, startTimeMs: w.startTime.getTime(), status: w.status.name });
  }
  const q = async <T extends object>(text: string) => (await o.db.pool.query<T>(text)).rows;
  const decisions = await q<{ payment_id: string; workflow_id: string; status: string; compensations: Array<{ step: string }> }>('select payment_id, workflow_id, status, compensations from decision');
  const holds = await q<{ payment_id: string; status: string }>('select payment_id, status from payment_hold');
  const notifications = await q<{ payment_id: string; kind: string }>('select payment_id, kind from notification');
  const ledger = await q<{ workflow_id: string; step: string; outcome: string }>('select workflow_id, step, outcome from compensation_ledger');
  const [{ n: storedLabels }] = await q<{ n: number }>('select count(*)::int as n from label');

  const status = await o.client.workflow.getHandle(learningWorkflowId(o.modelName)).query(statusQuery).catch(() => undefined);
  const learning: LearningObservation = status
    ? { phase: status.phase, cycleRunning: status.cycle !== null, labelsTotal: status.labels.total, queued: status.labels.queued, expectedLabels: o.expectedLabels, storedLabels }
    : { phase: 'no answer to the status query', cycleRunning: false, labelsTotal: -1, queued: -1, expectedLabels: o.expectedLabels, storedLabels };

  return {
    valid: o.records.filter((r) => r.eventId !== undefined).map((r) => ({ index: r.index, eventId: r.eventId!, paymentId: r.paymentId! })),
    poison: o.plan.filter((p) => p.kind !== 'valid').map((p) => ({ index: p.index, kind: p.kind })),
    source: source.map((r) => ({ partition: r.partition, offset: r.offset, index: Number(headerString(r.headers, CHAOS_INDEX_HEADER) ?? -1) })),
    workflows,
    decisions: decisions.map((d) => ({ paymentId: d.payment_id, workflowId: d.workflow_id, status: d.status, compensations: d.compensations.map((c) => c.step) })),
    holds: holds.map((h) => ({ paymentId: h.payment_id, status: h.status })),
    notifications: notifications.map((n) => ({ paymentId: n.payment_id, kind: n.kind })),
    flagged: flagged.map((r) => ({ ...paymentEventRef(r), at: r.timestamp === undefined ? undefined : Number(r.timestamp), where: `${r.partition}/${r.offset}` })),
    // Which relay transaction wrote each copy, so a repeated record names both.
    scored: scored.map((r) => ({ ...paymentEventRef(r), where: `${r.partition}/${r.offset}${outboxTxnOf(r)}` })),
    retracted: retracted.map(paymentEventRef),
    requireCompensation: o.requireCompensation,
    ledger: ledger.map((l) => ({ workflowId: l.workflow_id, step: l.step, outcome: l.outcome })),
    dlq: dlq.map((r) => ({
      partition: r.partition,
      offset: r.offset,
      originPartition: Number(headerString(r.headers, DLQ_HEADERS.originPartition) ?? -1),
      originOffset: headerString(r.headers, DLQ_HEADERS.originOffset) ?? '',
      code: headerString(r.headers, DLQ_HEADERS.code),
    })),
    commitSamples: o.samples,
    learning,
  };
}

function printSummary(
  say: (line: string) => void,
  s: { options: ChaosOptions; faults: FaultRecord[]; report: InvariantReport; valid: number; poison: number; labels: number; streamSeconds: number; drainSeconds: number; drained: boolean; totalSeconds: number; exits: string },
): void {
  say('\nfaults injected');
  say(table(s.faults.map((f) => ({ kind: f.kind, 'at event': f.atEvent, 'at (s)': f.startedAtS?.toFixed(0), 'recovered (s)': f.recoveredAtS?.toFixed(0), 'down (ms)': f.kind === 'pause-temporal' || f.kind === 'pause-postgres' ? s.options.pauseSeconds * 1000 : f.kind === 'reject-notifications' ? REJECT_NOTIFICATIONS_MS : f.downMs, error: f.error }))));
  say('\ninvariants');
  say(table(s.report.checks.map((c) => ({ check: c.name, result: c.info ? 'info' : c.ok ? 'ok' : 'FAILED', detail: c.detail }))));
  say('\nsummary');
  say(
    table([
      {
        seed: s.options.seed,
        events: `${s.valid + s.poison} (${s.valid} valid / ${s.poison} poison)`,
        labels: s.labels,
        faults: s.faults.length,
        lost: s.report.lost,
        duplicates: s.report.duplicates,
        "DLQ'd": s.report.dlqd,
        'stream (s)': s.streamSeconds.toFixed(0),
        'drain (s)': s.drained ? s.drainSeconds.toFixed(0) : `stalled ${s.drainSeconds.toFixed(0)}`,
        'total (s)': s.totalSeconds.toFixed(0),
        'unexpected exits': s.exits,
      },
    ]),
  );
  say(`\nreproduce: ${s.options.reproduce}`);
}
