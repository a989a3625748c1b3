// The durable pipeline (Kafka → bridge → payment saga → act → record) next to a plain kafkajs consumer doing the
// same work without Temporal: sustained throughput with nothing lost, and event → action latency at fixed rates.
// Both read their own input topic and publish payments.scored to one shared topic, where a probe consumer notes
// when each payment's outcome appears. Every scenario uses its own payment seed, so no two share a payment.
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { liveSyntheticPayments, paced, syntheticPaymentEvent } from '../../src/kafka/synthetic-stream';
import { POPULATION_SEED } from '../lib/config';
import { checkAborted, sleep, type BenchContext } from '../lib/context';
import type { ProcSampler, ProcUsage } from '../lib/proc-stats';
import { atMost, atLeast, type ComparisonRow } from '../lib/report';
import { ratePerSecond, ratio, steadyRate, summarize, type Summary } from '../lib/stats';

export type Side = 'mainspring' | 'plain';

export interface PipelineRig {
  kafka: Kafka;
  producer: Producer;
  pool: Pool;
  topics: { mainspringIn: string; plainIn: string; scored: string };
  probe: ScoredProbe;
  sampler: ProcSampler;
  /** Process names that belong to each side (for CPU per event). */
  processesOf: Record<Side, string[]>;
  /** Derives a fresh payment seed per scenario. */
  nextSeed(): number;
  users: number;
  /** Payments of the previous run of each side that had not been scored when it ended. */
  leftovers?: Partial<Record<Side, string[]>>;
  /** Every run so far: its payment prefix and how many it produced. */
  produced?: Array<{ side: Side; prefix: string; count: number }>;
}

/** Notes the arrival time of every payments.scored event by payment id. */
export class ScoredProbe {
  private consumer?: Consumer;
  readonly arrivals = new Map<string, number>();

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
          try {
            const id = (JSON.parse(m.value.toString('utf8')) as { data?: { paymentId?: string } }).data?.paymentId;
            if (id && !this.arrivals.has(id)) this.arrivals.set(id, at);
          } catch {
            // not ours
          }
        }
      },
    });
    await Promise.race([ready, new Promise((r) => setTimeout(r, 30_000))]);
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
  wallMs: number;
}

function records(seed: number, count: number, ratePerSecondHint: number, users: number): Array<{ id: string; key: string; value: string }> {
  const out: Array<{ id: string; key: string; value: string }> = [];
  for (const p of liveSyntheticPayments({ seed, populationSeed: POPULATION_SEED, count, ratePerSecond: ratePerSecondHint, users })) {
    const e = syntheticPaymentEvent(p);
    out.push({ id: p.paymentId, key: e.subject, value: JSON.stringify(e) });
  }
  return out;
}

/**
 * Produces `count` payments to one side (as a backlog when `rate` is undefined, else paced) and waits until every one
 * was scored or the drain timeout passes. Returns arrivals, latencies, decision rows and process usage.
 */
export async function runLoad(ctx: BenchContext, rig: PipelineRig, side: Side, count: number, rate?: number): Promise<LoadRun> {
  // A run that timed out leaves a backlog; wait for it (bounded) so it does not pollute this run's figures.
  const left = rig.leftovers?.[side] ?? [];
  if (left.length > 0) {
    const until = Date.now() + (ctx.config.drainTimeoutSeconds * 1000) / 2;
    ctx.progress(`  ${side}: waiting for ${left.length} unfinished payments of the previous run`);
    while (Date.now() < until && left.some((id) => !rig.probe.arrivals.has(id))) await sleep(200, ctx.signal);
    const still = left.filter((id) => !rig.probe.arrivals.has(id)).length;
    if (still > 0) ctx.problems.push(`${side}: ${still} payments of an earlier run were still unfinished when the next run started`);
  }
  const seed = rig.nextSeed();
  const prefix = `pay-${seed.toString(16)}-`;
  const batch = records(seed, count, rate ?? 200, rig.users);
  const topic = side === 'mainspring' ? rig.topics.mainspringIn : rig.topics.plainIn;
  (rig.produced ??= []).push({ side, prefix, count });
  const producedAt = new Map<string, number>();
  const window = rig.sampler.begin();
  const started = Date.now();
  const send = async (slice: typeof batch) => {
    const at = Date.now();
    for (const r of slice) producedAt.set(r.id, at);
    await rig.producer.send({ topic, acks: -1, messages: slice.map(({ key, value }) => ({ key, value })) });
  };
  if (rate === undefined) {
    for (let i = 0; i < batch.length; i += 500) await send(batch.slice(i, i + 500));
  } else {
    await paced(batch, rate, send, { signal: ctx.signal });
  }
  checkAborted(ctx.signal);
  const lastProducedAt = Date.now();
  const deadline = lastProducedAt + ctx.config.drainTimeoutSeconds * 1000;
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
  const firstProducedAt = Math.min(...producedAt.values());
  rig.leftovers = { ...rig.leftovers, [side]: [...producedAt.keys()].filter((id) => !rig.probe.arrivals.has(id)) };
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
    wallMs: Date.now() - started,
  };
}

function cpuPerThousand(run: LoadRun, names: string[]): number {
  const cpu = run.usage.filter((u) => names.includes(u.name)).reduce((s, u) => s + u.cpuSeconds, 0);
  return (cpu / Math.max(1, run.events - run.lost)) * 1000;
}

export function throughputOf(run: LoadRun): { sustained: number | null; endToEnd: number | null } {
  const last = run.arrivals.length > 0 ? Math.max(...run.arrivals) : Number.NaN;
  return { sustained: steadyRate(run.arrivals), endToEnd: ratePerSecond(run.arrivals.length, last - run.firstProducedAt) };
}

export async function throughputScenario(ctx: BenchContext, rig: PipelineRig): Promise<{ mainspring: LoadRun; plain: LoadRun }> {
  const n = ctx.config.throughputEvents;
  ctx.progress(`throughput: ${n} payments as a backlog through bridge → saga (Temporal)`);
  const mainspring = await runLoad(ctx, rig, 'mainspring', n);
  ctx.progress(`throughput: the same number through the plain kafkajs consumer`);
  const plain = await runLoad(ctx, rig, 'plain', n);
  const m = throughputOf(mainspring);
  const p = throughputOf(plain);
  const summary = (r: LoadRun, t: ReturnType<typeof throughputOf>) => ({
    events: r.events,
    decisionRows: r.decisionRows,
    scoredSeen: r.arrivals.length,
    lost: r.lost,
    sustainedPerSecond: t.sustained,
    endToEndPerSecond: t.endToEnd,
    wallSeconds: r.wallMs / 1000,
    usage: r.usage,
    cpuSecondsPer1000: cpuPerThousand(r, rig.processesOf[r.side]),
  });
  ctx.details.throughput = { mainspring: summary(mainspring, m), plain: summary(plain, p), processes: rig.processesOf };
  const tax = ratio(p.sustained, m.sustained);
  ctx.rows.push(
    {
      section: 'pipeline',
      metric: `sustained throughput, ${n} events backlog (10–90 % of completions)`,
      mainspring: { value: m.sustained, unit: 'sagas/s' },
      other: { name: 'plain kafkajs consumer', value: p.sustained, unit: 'ev/s' },
      ratio: { value: tax, label: 'durability tax (plain ÷ durable)' },
      target: { text: '≥ 150 sagas/s', verdict: atLeast(m.sustained, 150) },
    },
    {
      section: 'pipeline',
      metric: 'end-to-end rate (first produced → last scored)',
      mainspring: { value: m.endToEnd, unit: 'sagas/s' },
      other: { name: 'plain kafkajs consumer', value: p.endToEnd, unit: 'ev/s' },
      ratio: { value: ratio(p.endToEnd, m.endToEnd), label: 'plain ÷ durable' },
    },
    {
      section: 'pipeline',
      metric: `unfinished ${ctx.config.drainTimeoutSeconds} s after the last event was produced`,
      mainspring: { value: mainspring.lost, unit: 'count', note: `${mainspring.decisionRows} of ${n} decided` },
      other: { name: 'plain kafkajs consumer', value: plain.lost, unit: 'count', note: `${plain.decisionRows} of ${n} decided` },
    },
    {
      section: 'resources',
      metric: 'CPU seconds per 1000 events (all processes of the side, incl. Kafka + PostgreSQL)',
      mainspring: { value: cpuPerThousand(mainspring, rig.processesOf.mainspring), unit: 'cpu-s', note: rig.processesOf.mainspring.join('+') },
      other: { name: 'plain kafkajs consumer', value: cpuPerThousand(plain, rig.processesOf.plain), unit: 'cpu-s', note: rig.processesOf.plain.join('+') },
      ratio: { value: ratio(cpuPerThousand(mainspring, rig.processesOf.mainspring), cpuPerThousand(plain, rig.processesOf.plain)), label: 'CPU per event' },
    },
  );
  return { mainspring, plain };
}

export async function latencyScenario(ctx: BenchContext, rig: PipelineRig): Promise<void> {
  const out: Record<string, unknown> = {};
  for (const rate of ctx.config.latencyRates) {
    checkAborted(ctx.signal);
    const count = Math.round(rate * ctx.config.latencySeconds);
    ctx.progress(`latency: ${rate} ev/s for ${ctx.config.latencySeconds} s (${count} events), durable then plain`);
    const m = await runLoad(ctx, rig, 'mainspring', count, rate);
    const p = await runLoad(ctx, rig, 'plain', count, rate);
    const ms = summarize(m.latenciesMs);
    const ps = summarize(p.latenciesMs);
    const achieved = (r: LoadRun) => ratePerSecond(r.events, r.lastProducedAt - r.firstProducedAt);
    out[`${rate}`] = {
      mainspring: { scored: ms, decisionRow: m.dbLatency, lost: m.lost, producedRate: achieved(m), usage: m.usage },
      plain: { scored: ps, decisionRow: p.dbLatency, lost: p.lost, producedRate: achieved(p), usage: p.usage },
    };
    const at50 = rate === 50;
    const rows: ComparisonRow[] = (['p50', 'p95', 'p99'] as const).map((q) => ({
      section: 'pipeline',
      metric: `event → payments.scored latency ${q} at ${rate} ev/s`,
      mainspring: { value: ms.n > 0 ? ms[q] : null, unit: 'ms', ...(m.lost > 0 ? { note: `${m.lost} of ${count} unfinished at the deadline` } : {}) },
      other: { name: 'plain kafkajs consumer', value: ps.n > 0 ? ps[q] : null, unit: 'ms', ...(p.lost > 0 ? { note: `${p.lost} of ${count} unfinished at the deadline` } : {}) },
      ratio: { value: ratio(ms[q], ps[q]), label: 'durable ÷ plain' },
      ...(at50 && q === 'p50' ? { target: { text: 'p50 ≤ 40 ms', verdict: atMost(ms.p50, 40) } } : {}),
      ...(at50 && q === 'p99' ? { target: { text: 'p99 ≤ 200 ms', verdict: atMost(ms.p99, 200) } } : {}),
    }));
    ctx.rows.push(...rows);
  }
  ctx.details.latency = out;
}

/**
 * After all pipeline scenarios: waits (bounded) until every produced payment has its decision row, then counts what
 * is missing per side. This is the "0 lost" figure; slowness shows in the throughput and latency rows instead.
 */
export async function reconcileScenario(ctx: BenchContext, rig: PipelineRig): Promise<void> {
  const runs = rig.produced ?? [];
  const count = async () => {
    const out: Record<Side, { produced: number; decided: number }> = { mainspring: { produced: 0, decided: 0 }, plain: { produced: 0, decided: 0 } };
    for (const r of runs) {
      const { rows } = await rig.pool.query<{ n: string }>('select count(*) as n from decision where payment_id like $1', [`${r.prefix}%`]);
      out[r.side].produced += r.count;
      out[r.side].decided += Number(rows[0].n);
    }
    return out;
  };
  const started = Date.now();
  const deadline = started + ctx.config.drainTimeoutSeconds * 1500;
  let c = await count();
  while ((c.mainspring.decided < c.mainspring.produced || c.plain.decided < c.plain.produced) && Date.now() < deadline) {
    await sleep(1000, ctx.signal);
    c = await count();
  }
  const lost = (s: Side) => c[s].produced - c[s].decided;
  ctx.details.reconcile = { ...c, waitedSeconds: (Date.now() - started) / 1000 };
  ctx.rows.push({
    section: 'pipeline',
    metric: `lost after the final drain (all pipeline scenarios; waited ${Math.round((Date.now() - started) / 1000)} s)`,
    mainspring: { value: lost('mainspring'), unit: 'count', note: `${c.mainspring.decided} of ${c.mainspring.produced} decided` },
    other: { name: 'plain kafkajs consumer', value: lost('plain'), unit: 'count', note: `${c.plain.decided} of ${c.plain.produced} decided` },
    target: { text: '0 lost', verdict: atMost(lost('mainspring'), 0) },
  });
}
