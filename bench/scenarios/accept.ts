// Bridge accept rate: events/s the bridge validates and gets accepted by Temporal (workflow started; nobody serves the
// task queue, so this is the bridge's own ceiling), next to a plain kafkajs consumer reading the same topic with the
// same envelope/contract validation from a backlog produced beforehand. (A raw consume of the same backlog is not
// reported: it arrives in one or two fetches, so its "rate" times a fetch, not consuming.)
import type { Producer } from 'kafkajs';
import { liveSyntheticPayments, syntheticPaymentEvent } from '../../src/kafka/synthetic-stream';
import { startChild, type BenchChild } from '../lib/children';
import { IN_FLIGHT_PER_PARTITION, POPULATION_SEED } from '../lib/config';
import type { BenchContext } from '../lib/context';
import type { ProcSampler, ProcUsage } from '../lib/proc-stats';
import { ratePerSecond, ratio } from '../lib/stats';

export interface AcceptRig {
  producer: Producer;
  topic: string;
  runId: string;
  modelName: string;
  sagaTopics: { scored: string; flagged: string; flagRetracted: string; labeled: string };
  childEnv: NodeJS.ProcessEnv;
  logDir: string;
  execArgv: string[];
  sampler: ProcSampler;
  seed: number;
  users: number;
}

async function timed(ctx: BenchContext, rig: AcceptRig, name: string, start: () => Promise<BenchChild>, doneType: string, extraTargets: string[]): Promise<{ rate: number | null; message: Record<string, unknown>; usage: ProcUsage[] }> {
  const window = rig.sampler.begin();
  const child = await start();
  rig.sampler.set({ name, pid: child.pid });
  try {
    const message = await child.waitFor(doneType, ctx.config.drainTimeoutSeconds * 1000 + 60_000, ctx.signal);
    const first = Number(message.firstConsumedAt ?? message.firstAt);
    const count = Number(message.accepted ?? message.count);
    return { rate: ratePerSecond(count, Number(message.doneAt) - first), message, usage: window.end().filter((u) => [name, ...extraTargets].includes(u.name)) };
  } finally {
    await child.stop();
    rig.sampler.remove(name);
  }
}

export async function acceptScenario(ctx: BenchContext, rig: AcceptRig): Promise<void> {
  const n = ctx.config.acceptEvents;
  ctx.progress(`accept: producing a backlog of ${n} payments to ${rig.topic}`);
  const messages: Array<{ key: string; value: string }> = [];
  for (const p of liveSyntheticPayments({ seed: rig.seed, populationSeed: POPULATION_SEED, count: n, ratePerSecond: 500, users: rig.users })) {
    const e = syntheticPaymentEvent(p);
    messages.push({ key: e.subject, value: JSON.stringify(e) });
  }
  for (let i = 0; i < messages.length; i += 500) await rig.producer.send({ topic: rig.topic, acks: -1, messages: messages.slice(i, i + 500) });

  const opts = { logDir: rig.logDir, execArgv: rig.execArgv, signal: ctx.signal };
  ctx.progress('accept: bridge (validate + start workflow, no worker on the queue)');
  const bridge = await timed(
    ctx,
    rig,
    'bridge-accept',
    () => startChild('bridge-accept', 'bridge', { topic: rig.topic, taskQueue: `bench-${rig.runId}-accept`, groupId: `bench-${rig.runId}-accept-bridge`, expectAccepted: n, bridgeOptions: { maxInFlightPerPartition: IN_FLIGHT_PER_PARTITION } }, rig.childEnv, opts),
    'accepted',
    ['temporal'],
  );
  const validateOptions = { mode: 'validate' as const, topic: rig.topic, groupId: `bench-${rig.runId}-accept-validate`, modelName: rig.modelName, topics: rig.sagaTopics, maxInFlightPerPartition: IN_FLIGHT_PER_PARTITION, expect: n };
  ctx.progress('accept: plain kafkajs consumer + envelope/contract validation');
  const validate = await timed(ctx, rig, 'plain-validate', () => startChild('plain-validate', 'plain-consumer', validateOptions, rig.childEnv, opts), 'consumed', []);

  ctx.details.accept = { events: n, bridge, validate };
  ctx.rows.push({
    section: 'bridge',
    metric: `accept rate (validated + started, plain start, separate process), ${n} events backlog, vs consume + the same validation`,
    mainspring: { value: bridge.rate, unit: 'ev/s', ...(Number(bridge.message.dlq) > 0 ? { note: `${String(bridge.message.dlq)} dead-lettered` } : {}) },
    other: { name: 'kafkajs consume + parseEvent', value: validate.rate, unit: 'ev/s', note: 'first batch → last record' },
    ratio: { value: ratio(validate.rate, bridge.rate), label: 'validate-only ÷ accept (the Temporal start cost)' },
  });
}
