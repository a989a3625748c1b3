// The durable pipeline (Kafka → bridge → payment saga → act → record) next to a plain kafkajs consumer doing the
// same work without Temporal: sustained throughput (the capacity), then event → action latency at fractions of that
// capacity and one payment at a time. Every side reads its own input topic and publishes payments.scored to one
// shared topic, where a probe consumer notes when each payment's outcome appears. Every run uses its own payment
// seed, so no two share a payment, and starts from an empty pipeline (the previous run's payments all scored).
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { decodeRecord } from '../../src/kafka/cloudevents-binding';
import { liveSyntheticPayments, paced, syntheticPaymentEvent } from '../../src/kafka/synthetic-stream';
import { eventsFor, ratesAtFractions } from '../lib/ceiling';
import { POPULATION_SEED } from '../lib/config';
import { checkAborted, sleep, type BenchContext } from '../lib/context';
import type { ProcSampler, ProcUsage } from '../lib/proc-stats';
import { atLeast, type ComparisonRow } from '../lib/report';
import { ratePerSecond, ratio, steadyWindow, summarize, type Summary } from '../lib/stats';

/**
 * mainspring as `npm start` runs it (worker + bridge in one process, eager starts), the plain consumer, and two other
 * wirings of mainspring for the throughput backlog: separate processes (plain starts), and one process with plain
 * starts (which of the two differences matters).
 */
export type Side = 'mainspring' | 'plain' | 'separate' | 'oneProcessPlainStart';

export const SIDE_NAMES: Record<Side, string> = {
  mainspring: 'mainspring (worker + bridge in one process, eager start)',
  plain: 'plain kafkajs consumer',
  separate: 'mainspring, worker and bridge as separate processes (plain start)',
  oneProcessPlainStart: 'mainspring, worker + bridge in one process, plain start',
};

/** The other wirings of mainspring, measured right after its own backlog. */
export const OTHER_WIRINGS = ['separate', 'oneProcessPlainStart'] as const satisfies readonly Side[];

export interface PipelineRig {
  kafka: Kafka;
  producer: Producer;
  pool: Pool;
  /** Input topic of each side that runs. */
  inputOf: Partial<Record<Side, string>>;
  probe: ScoredProbe;
  sampler: ProcSampler;
  /** Process names that belong to each side (for CPU per event). */
  processesOf: Partial<Record<Side, string[]>>;
  /** Derives a fresh payment seed per scenario. */
  nextSeed(): number;
  users: number;
  /** Payments of earlier runs (any side) that had not been scored when their run ended. */
  unfinished?: string[];
  /** Every run so far: its payment prefix and how many it produced. */
  produced?: Array<{ side: Side; prefix: string; count: number }>;
  /** Process usage of every run, by "<scenario> <side>". */
  usageLog: Array<{ scenario: string; usage: ProcUsage[] }>;
}

/** Notes the arrival time of every payments.scored event by payment id. */
export class ScoredProbe {
  private consumer?: Consumer;
  readonly arrivals = new Map<string, number>();
  private readonly waiters = new Map<string, () => void>();

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly groupId: string,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    let joined!: () => void;
    const ready = new Promise<void>((r) => (joined = r));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const at = Date.now();
        for (const m of batch.messages) {
          if (!m.value) continue;
          // Either CloudEvents mode (MAINSPRING_CLOUDEVENTS_MODE of the worker); a record that is not ours is skipped.
          const decoded = decodeRecord(m);
          const id = decoded.ok ? (decoded.data as { paymentId?: unknown }).paymentId : undefined;
          if (typeof id === 'string' && !this.arrivals.has(id)) {
            this.arrivals.set(id, at);
            this.waiters.get(id)?.();
          }
        }
      },
    });
    await Promise.race([ready, new Promise((r) => setTimeout(r, 30_000))]);
  }

  /** Resolves true once the payment's payments.scored arrived, false after `timeoutMs`. */
  arrival(id: string, timeoutMs: number): Promise<boolean> {
    if (this.arrivals.has(id)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        resolve(false);
      }, timeoutMs);
      this.waiters.set(id, () => {
        clearTimeout(timer);
        this.waiters.delete(id);
        resolve(true);
      });
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export interface LoadRun {
  side: Side;
  events: number;
  prefix: string;
  producedAt: Map<string, number>;
  firstProducedAt: number;
  lastProducedAt: number;
  /** Arrival (payments.scored seen) per payment id. */
  arrivals: number[];
  latenciesMs: number[];
  decisionRows: number;
  /** Decision row time (decision.created_at, transaction start) − produced time, ms. */
  dbLatency: Summary;
  lost: number;
  usage: ProcUsage[];
  /**
   * CPU of the side's processes between the 10 % and the 90 % completion instants ÷ the completions in between:
   * only events that finished inside the window, over exactly that window.
   */
  steadyCpu: { cpuSeconds: number; events: number; seconds: number; per1000: number } | null;
  wallMs: number;
}

type Pace = { kind: 'backlog' } | { kind: 'paced'; rate: number } | { kind: 'one-at-a-time' };

function records(seed: number, count: number, ratePerSecondHint: number, users: number): Array<{ id: string; key: string; value: string }> {
  const out: Array<{ id: string; key: string; value: string }> = [];
  for (const p of liveSyntheticPayments({ seed, populationSeed: POPULATION_SEED, count, ratePerSecond: ratePerSecondHint, users })) {
    const e = syntheticPaymentEvent(p);
    out.push({ id: p.paymentId, key: e.subject, value: JSON.stringify(e) });
  }
  return out;
}

/**
 * Waits (bounded by the drain timeout) until every payment of the earlier runs, of any side, was scored: each run
 * starts from an empty pipeline instead of on top of a backlog. What is still unfinished then is reported.
 */
async function untilPipelineEmpty(ctx: BenchContext, rig: PipelineRig, label: string): Promise<void> {
  const left = (rig.unfinished ?? []).filter((id) => !rig.probe.arrivals.has(id));
  if (left.length === 0) return;
  const until = Date.now() + ctx.config.drainTimeoutSeconds * 1000;
  ctx.progress(`  ${label}: waiting for ${left.length} unfinished payments of earlier runs`);
  let still = left;
  while (Date.now() < until && still.length > 0) {
    await sleep(200, ctx.signal);
    still = still.filter((id) => !rig.probe.arrivals.has(id));
  }
  rig.unfinished = still;
  if (still.length > 0) ctx.problems.push(`${label}: started with ${still.length} payments of earlier runs still unfinished after waiting ${ctx.config.drainTimeoutSeconds} s`);
}

/**
 * Produces `count` payments to one side — as a backlog, paced at a rate, or one at a time (the next once the previous
 * one's payments.scored arrived) — and waits until every one was scored or the drain timeout passes. Returns
 * arrivals, latencies, decision rows and process usage.
 */
export async function runLoad(ctx: BenchContext, rig: PipelineRig, side: Side, count: number, pace: Pace, scenario: string): Promise<LoadRun> {
  const topic = rig.inputOf[side];
  if (!topic) throw new Error(`no input topic for ${side}`);
  await untilPipelineEmpty(ctx, rig, `${scenario} ${side}`);
  const seed = rig.nextSeed();
  const prefix = `pay-${seed.toString(16)}-`;
  const batch = records(seed, count, pace.kind === 'paced' ? pace.rate : 200, rig.users);
  (rig.produced ??= []).push({ side, prefix, count });
  const producedAt = new Map<string, number>();
  const window = rig.sampler.begin();
  const started = Date.now();
  const send = async (slice: typeof batch) => {
    const at = Date.now();
    for (const r of slice) producedAt.set(r.id, at);
    await rig.producer.send({ topic, acks: -1, messages: slice.map(({ key, value }) => ({ key, value })) });
  };
  if (pace.kind === 'backlog') {
    for (let i = 0; i < batch.length; i += 500) await send(batch.slice(i, i + 500));
  } else if (pace.kind === 'paced') {
    await paced(batch, pace.rate, send, { signal: ctx.signal });
  } else {
    for (const r of batch) {
      checkAborted(ctx.signal);
      await send([r]);
      await rig.probe.arrival(r.id, ctx.config.drainTimeoutSeconds * 1000);
    }
  }
  checkAborted(ctx.signal);
  const lastProducedAt = Date.now();
  // A backlog gets the time a slow (10 ev/s) pipeline needs on top, so its capacity is measured over all of it.
  const deadline = lastProducedAt + (ctx.config.drainTimeoutSeconds + (pace.kind === 'backlog' ? count / 10 : 0)) * 1000;
  let seen = 0;
  let lastReport = Date.now();
  for (;;) {
    seen = 0;
    for (const id of producedAt.keys()) if (rig.probe.arrivals.has(id)) seen++;
    if (seen >= count || Date.now() > deadline) break;
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      ctx.progress(`  ${side}: ${seen}/${count} scored (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    await sleep(50, ctx.signal);
  }
  // Let the decision rows of the last arrivals commit (they precede payments.scored, but be sure).
  await sleep(200, ctx.signal);
  const usage = window.end();
  rig.usageLog.push({ scenario: `${scenario} ${side}`, usage });
  const { rows } = await rig.pool.query<{ payment_id: string; at_ms: string }>(
    `select payment_id, (extract(epoch from created_at) * 1000)::bigint as at_ms from decision where payment_id like $1`,
    [`${prefix}%`],
  );
  const dbLat = rows.map((r) => Number(r.at_ms) - (producedAt.get(r.payment_id) ?? Number.NaN)).filter((x) => Number.isFinite(x));
  const arrivals: number[] = [];
  const latencies: number[] = [];
  for (const [id, at] of producedAt) {
    const arrived = rig.probe.arrivals.get(id);
    if (arrived === undefined) continue;
    arrivals.push(arrived);
    latencies.push(arrived - at);
  }
  const steady = steadyWindow(arrivals);
  const steadyCpuSeconds = steady ? window.cpuBetween(rig.processesOf[side] ?? [], steady.start, steady.end) : null;
  const firstProducedAt = Math.min(...producedAt.values());
  rig.unfinished = [...(rig.unfinished ?? []), ...[...producedAt.keys()].filter((id) => !rig.probe.arrivals.has(id))];
  return {
    side,
    events: count,
    prefix,
    producedAt,
    firstProducedAt,
    lastProducedAt,
    arrivals,
    latenciesMs: latencies,
    decisionRows: rows.length,
    dbLatency: summarize(dbLat),
    lost: count - Math.min(rows.length, arrivals.length),
    usage,
    steadyCpu:
      steady && steadyCpuSeconds !== null && steady.count > 0
        ? { cpuSeconds: steadyCpuSeconds, events: steady.count, seconds: (steady.end - steady.start) / 1000, per1000: (steadyCpuSeconds / steady.count) * 1000 }
        : null,
    wallMs: Date.now() - started,
  };
}

export function throughputOf(run: LoadRun): { sustained: number | null; endToEnd: number | null } {
  const last = run.arrivals.length > 0 ? Math.max(...run.arrivals) : Number.NaN;
  return { sustained: steadyWindow(run.arrivals)?.perSecond ?? null, endToEnd: ratePerSecond(run.arrivals.length, last - run.firstProducedAt) };
}

function throughputSummary(run: LoadRun) {
  const t = throughputOf(run);
  return {
    events: run.events,
    decisionRows: run.decisionRows,
    scoredSeen: run.arrivals.length,
    lost: run.lost,
    sustainedPerSecond: t.sustained,
    endToEndPerSecond: t.endToEnd,
    wallSeconds: run.wallMs / 1000,
    usage: run.usage,
    steadyCpu: run.steadyCpu,
  };
}

const unfinishedNote = (r: LoadRun) => (r.lost > 0 ? { note: `${r.lost} of ${r.events} unfinished at the deadline` } : {});

/**
 * The capacity of each side: a backlog drained as fast as it goes. With `otherWirings` (their processes running),
 * those run right after mainspring's, so the durable wirings see the same moment of the machine.
 */
export async function throughputScenario(ctx: BenchContext, rig: PipelineRig, otherWirings: boolean): Promise<{ mainspring: LoadRun; plain: LoadRun }> {
  const n = ctx.config.throughputEvents;
  ctx.progress(`throughput: ${n} payments as a backlog through ${SIDE_NAMES.mainspring}`);
  await warmUp(ctx, rig, 'mainspring');
  const mainspring = await runLoad(ctx, rig, 'mainspring', n, { kind: 'backlog' }, 'throughput');
  if (otherWirings) for (const side of OTHER_WIRINGS) await otherWiringRun(ctx, rig, side, mainspring);
  ctx.progress(`throughput: the same number through the plain kafkajs consumer`);
  await warmUp(ctx, rig, 'plain');
  const plain = await runLoad(ctx, rig, 'plain', n, { kind: 'backlog' }, 'throughput');
  const m = throughputOf(mainspring);
  const p = throughputOf(plain);
  ctx.details.throughput = { mainspring: throughputSummary(mainspring), plain: throughputSummary(plain), processes: rig.processesOf };
  const tax = ratio(p.sustained, m.sustained);
  const cpuNote = (r: LoadRun) => `${(rig.processesOf[r.side] ?? []).join('+')}${r.steadyCpu ? `; ${r.steadyCpu.events} events in ${r.steadyCpu.seconds.toFixed(1)} s` : ''}`;
  ctx.rows.push(
    {
      section: 'pipeline',
      metric: `sustained throughput, ${n} events backlog (10–90 % of completions)`,
      mainspring: { value: m.sustained, unit: 'sagas/s' },
      other: { name: SIDE_NAMES.plain, value: p.sustained, unit: 'ev/s' },
      ratio: { value: tax, label: 'durability tax (plain ÷ durable)' },
      target: { text: '≥ 150 sagas/s', verdict: atLeast(m.sustained, 150) },
    },
    {
      section: 'pipeline',
      metric: 'end-to-end rate (first produced → last scored)',
      mainspring: { value: m.endToEnd, unit: 'sagas/s' },
      other: { name: SIDE_NAMES.plain, value: p.endToEnd, unit: 'ev/s' },
      ratio: { value: ratio(p.endToEnd, m.endToEnd), label: 'plain ÷ durable' },
    },
    {
      section: 'pipeline',
      metric: `unfinished ${ctx.config.drainTimeoutSeconds + n / 10} s after the last event was produced`,
      mainspring: { value: mainspring.lost, unit: 'count', note: `${mainspring.decisionRows} of ${n} decided` },
      other: { name: SIDE_NAMES.plain, value: plain.lost, unit: 'count', note: `${plain.decisionRows} of ${n} decided` },
    },
    {
      section: 'resources',
      metric: 'CPU seconds per 1000 events, steady window (all processes of the side between the 10 % and 90 % completions ÷ completions in between)',
      mainspring: { value: mainspring.steadyCpu?.per1000 ?? null, unit: 'cpu-s', note: cpuNote(mainspring) },
      other: { name: SIDE_NAMES.plain, value: plain.steadyCpu?.per1000 ?? null, unit: 'cpu-s', note: cpuNote(plain) },
      ratio: { value: ratio(mainspring.steadyCpu?.per1000, plain.steadyCpu?.per1000), label: 'CPU per event' },
    },
  );
  return { mainspring, plain };
}

/** The same backlog through another wiring of mainspring: what one process and eager start each buy. */
/** Payments that go through a wiring before its measured backlog, not counted: JIT, pools and prepared statements warm. */
const WARM_UP_EVENTS = 60;

export async function warmUp(ctx: BenchContext, rig: PipelineRig, side: Side): Promise<void> {
  await runLoad(ctx, rig, side, WARM_UP_EVENTS, { kind: 'backlog' }, 'warm-up');
}

async function otherWiringRun(ctx: BenchContext, rig: PipelineRig, side: (typeof OTHER_WIRINGS)[number], combined: LoadRun): Promise<void> {
  const n = ctx.config.throughputEvents;
  ctx.progress(`throughput: ${n} payments through ${SIDE_NAMES[side]}`);
  await warmUp(ctx, rig, side);
  const run = await runLoad(ctx, rig, side, n, { kind: 'backlog' }, 'throughput');
  const other = throughputOf(run);
  const c = throughputOf(combined);
  ctx.details[`throughput ${side}`] = throughputSummary(run);
  ctx.rows.push(
    {
      section: 'pipeline',
      metric: `sustained throughput, ${n} events backlog: one process, eager start vs ${SIDE_NAMES[side].replace('mainspring, ', '')}`,
      mainspring: { value: c.sustained, unit: 'sagas/s' },
      other: { name: SIDE_NAMES[side], value: other.sustained, unit: 'sagas/s', ...unfinishedNote(run) },
      ratio: { value: ratio(c.sustained, other.sustained), label: 'one process, eager ÷ other' },
    },
    {
      section: 'resources',
      metric: `CPU seconds per 1000 events, steady window: one process, eager start vs ${SIDE_NAMES[side].replace('mainspring, ', '')}`,
      mainspring: { value: combined.steadyCpu?.per1000 ?? null, unit: 'cpu-s' },
      other: { name: SIDE_NAMES[side], value: run.steadyCpu?.per1000 ?? null, unit: 'cpu-s', note: (rig.processesOf[side] ?? []).join('+') },
      ratio: { value: ratio(combined.steadyCpu?.per1000, run.steadyCpu?.per1000), label: 'CPU per event' },
    },
  );
}

export interface LatencyFigures {
  /** mainspring's event → payments.scored at 50 % of the measured capacity, if that fraction ran. */
  atHalfCapacity: Summary | null;
}

function latencyRows(label: string, count: number, m: LoadRun, p: LoadRun): ComparisonRow[] {
  const ms = summarize(m.latenciesMs);
  const ps = summarize(p.latenciesMs);
  return (['p50', 'p95', 'p99'] as const).map((q) => ({
    section: 'pipeline',
    metric: `event → payments.scored latency ${q} ${label} (${count} events)`,
    mainspring: { value: ms.n > 0 ? ms[q] : null, unit: 'ms', ...unfinishedNote(m) },
    other: { name: SIDE_NAMES.plain, value: ps.n > 0 ? ps[q] : null, unit: 'ms', ...unfinishedNote(p) },
    ratio: { value: ratio(ms[q], ps[q]), label: 'durable ÷ plain' },
  }));
}

/**
 * Latency at fractions of mainspring's measured capacity (both sides at the same rates, so the plain consumer runs
 * at a smaller share of its own), then at any fixed rates asked for.
 */
export async function latencyScenario(ctx: BenchContext, rig: PipelineRig, capacity: number | null): Promise<LatencyFigures> {
  const out: Record<string, unknown> = {};
  const runs = [
    ...ratesAtFractions(capacity ?? 0, ctx.config.capacityFractions).map(({ fraction, rate }) => ({ fraction, rate, label: `at ${Math.round(fraction * 100)} % of capacity (${rate} ev/s)` })),
    ...ctx.config.latencyRates.map((rate) => ({ fraction: null, rate, label: `at ${rate} ev/s` })),
  ];
  if (capacity === null && ctx.config.capacityFractions.length > 0) ctx.problems.push('latency at fractions of capacity skipped: no capacity measured');
  let atHalfCapacity: Summary | null = null;
  for (const run of runs) {
    checkAborted(ctx.signal);
    const count = eventsFor(run.rate, ctx.config.latencySeconds);
    ctx.progress(`latency ${run.label}: ${count} events, durable then plain`);
    const m = await runLoad(ctx, rig, 'mainspring', count, { kind: 'paced', rate: run.rate }, `latency ${run.label}`);
    const p = await runLoad(ctx, rig, 'plain', count, { kind: 'paced', rate: run.rate }, `latency ${run.label}`);
    const achieved = (r: LoadRun) => ratePerSecond(r.events, r.lastProducedAt - r.firstProducedAt);
    out[run.label] = {
      fraction: run.fraction,
      rate: run.rate,
      mainspring: { scored: summarize(m.latenciesMs), decisionRow: m.dbLatency, lost: m.lost, producedRate: achieved(m) },
      plain: { scored: summarize(p.latenciesMs), decisionRow: p.dbLatency, lost: p.lost, producedRate: achieved(p) },
    };
    if (run.fraction === 0.5) atHalfCapacity = summarize(m.latenciesMs);
    ctx.rows.push(...latencyRows(run.label, count, m, p));
  }
  ctx.details.latency = out;
  return { atHalfCapacity };
}

/** One payment at a time: the next is produced once the previous one's payments.scored arrived. */
export async function oneAtATimeScenario(ctx: BenchContext, rig: PipelineRig): Promise<Summary> {
  const count = ctx.config.oneAtATimeEvents;
  ctx.progress(`latency one at a time: ${count} payments, durable then plain`);
  const m = await runLoad(ctx, rig, 'mainspring', count, { kind: 'one-at-a-time' }, 'one at a time');
  const p = await runLoad(ctx, rig, 'plain', count, { kind: 'one-at-a-time' }, 'one at a time');
  const ms = summarize(m.latenciesMs);
  ctx.details.oneAtATime = { mainspring: { scored: ms, decisionRow: m.dbLatency, lost: m.lost }, plain: { scored: summarize(p.latenciesMs), decisionRow: p.dbLatency, lost: p.lost } };
  ctx.rows.push(...latencyRows('one at a time', count, m, p).filter((r) => !r.metric.includes(' p95 ')));
  return ms;
}

/**
 * After all pipeline scenarios: waits (bounded) until every produced payment has its decision row, then counts what
 * is missing per side. This is the "0 lost" figure; slowness shows in the throughput and latency rows instead.
 */
export async function reconcileScenario(ctx: BenchContext, rig: PipelineRig): Promise<void> {
  const runs = rig.produced ?? [];
  const sides = [...new Set(runs.map((r) => r.side))];
  const count = async () => {
    const out = new Map<Side, { produced: number; decided: number }>(sides.map((s) => [s, { produced: 0, decided: 0 }]));
    for (const r of runs) {
      const { rows } = await rig.pool.query<{ n: string }>('select count(*) as n from decision where payment_id like $1', [`${r.prefix}%`]);
      out.get(r.side)!.produced += r.count;
      out.get(r.side)!.decided += Number(rows[0].n);
    }
    return out;
  };
  const started = Date.now();
  const deadline = started + ctx.config.drainTimeoutSeconds * 1500;
  let c = await count();
  while ([...c.values()].some((x) => x.decided < x.produced) && Date.now() < deadline) {
    await sleep(1000, ctx.signal);
    c = await count();
  }
  const get = (s: Side) => c.get(s) ?? { produced: 0, decided: 0 };
  const lost = (s: Side) => get(s).produced - get(s).decided;
  const durableSides = sides.filter((x) => x !== 'plain');
  const durable = { produced: durableSides.reduce((t, x) => t + get(x).produced, 0), decided: durableSides.reduce((t, x) => t + get(x).decided, 0) };
  ctx.details.reconcile = { ...Object.fromEntries(c), waitedSeconds: (Date.now() - started) / 1000 };
  ctx.rows.push({
    section: 'pipeline',
    metric: `lost after the final drain (all pipeline scenarios; waited ${Math.round((Date.now() - started) / 1000)} s)`,
    mainspring: { value: durable.produced - durable.decided, unit: 'count', note: `${durable.decided} of ${durable.produced} decided` },
    other: { name: SIDE_NAMES.plain, value: lost('plain'), unit: 'count', note: `${get('plain').decided} of ${get('plain').produced} decided` },
    target: { text: '0 lost', verdict: durable.produced - durable.decided <= 0 ? 'pass' : 'miss' },
  });
}
