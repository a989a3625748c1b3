import type { Producer } from 'kafkajs';
import { createEvent, paymentLabeledV1, type EventEnvelope } from '../../schemas';
import { publishEvents } from '../../src/kafka/producer';
import { syntheticPaymentEvent } from '../../src/kafka/synthetic-stream';
import { TOPICS } from '../../src/kafka/topics';
import { generatePayments, type SyntheticPayment } from '../../src/model/synthetic';

export interface DemoStreamOptions {
  seed: number;
  ratePerSecond: number;
  durationSeconds: number;
  users: number;
  /** Fraction of the run after which drift starts (fraud pattern shift + higher amounts). */
  driftAtFraction: number;
  /** Labels arrive this many seconds after their payment (chargebacks, compressed from days). */
  labelDelaySeconds: readonly [number, number];
  modelName: string;
  /** Prefix of this run's payment ids, so a second run does not collide with the first one's rows. */
  runTag: string;
  /** Target share of fraud; default DEMO_FRAUD_RATE. */
  fraudRate?: number;
}

/**
 * 6 %, not the 2 % of the historical data: the synthetic share also follows the hour of day (×0.6 in the European
 * afternoon), and two minutes at 10/s must give the first retrain its minimum of fraud labels (8 of 400) — at 2 % a
 * daytime run had 1 of 419 and the first cycle was refused for lack of data.
 */
export const DEMO_FRAUD_RATE = 0.06;

export interface StreamCounters {
  payments: number;
  labels: number;
  fraudLabels: number;
  driftStarted: boolean;
  /** Event time (epoch ms) of the first drifted payment: where the report splits before/after. */
  driftStartedAt?: number;
}

export interface DemoStreamDeps {
  /** Which of these payment ids have a recorded decision. Given: a label waits for its payment's decision. */
  decided?: (paymentIds: string[]) => Promise<Set<string>>;
}

/** A label waits at most this long past its due time for the decision (a payment that went to the DLQ has none). */
const MAX_LABEL_HOLD_MS = 120_000;
const DECIDED_CHECK_MS = 1_000;

/**
 * Produces the demo's live stream: payments at the wall-clock rate (event time = now), drift from a chosen moment,
 * and each payment's label after a delay — the feedback the learning loop trains on. With `deps.decided`, a label
 * is not sent before its payment was decided: a chargeback never precedes the payment, and on a busy machine (the
 * saga lagging a minute behind) labels sent early join no logged feature vector, so retrains found too few rows.
 */
export async function runDemoStream(producer: Producer, options: DemoStreamOptions, counters: StreamCounters, signal: AbortSignal, deps: DemoStreamDeps = {}): Promise<void> {
  const started = Date.now();
  const endsAt = started + options.durationSeconds * 1000;
  // The generator's rate follows the hour of day (0.6–1.67× the target): bound the count by the peak and stop at the
  // duration, so the stream lasts as long as asked whatever the hour (labels keep coming while a cycle runs).
  const total = Math.ceil((options.ratePerSecond / 0.6) * options.durationSeconds) + 1;
  const driftAt = started + options.driftAtFraction * options.durationSeconds * 1000;
  const [minDelay, maxDelay] = options.labelDelaySeconds;
  const payments = generatePayments({
    seed: options.seed,
    count: total,
    startTime: started,
    ratePerSecond: options.ratePerSecond,
    users: options.users,
    fraudRate: options.fraudRate ?? DEMO_FRAUD_RATE,
    labelDelay: { fraudMs: [minDelay * 1000, maxDelay * 1000], legitMs: [minDelay * 1000, maxDelay * 1000] },
    drift: { startAt: driftAt, fraudPatternShift: true, amountScale: 2.5 },
  });
  const pendingLabels: SyntheticPayment[] = [];
  let lastDecidedCheck = 0;
  const tickMs = 100;
  const nextPayment = () => {
    const n = payments.next();
    return n.done || n.value.eventTimeMs > endsAt ? ({ done: true, value: undefined } as const) : n;
  };
  let next = nextPayment();
  while (!signal.aborted && (!next.done || pendingLabels.length > 0)) {
    const now = Date.now();
    const due: EventEnvelope<unknown>[] = [];
    while (!next.done && next.value.eventTimeMs <= now) {
      due.push(syntheticPaymentEvent(next.value, `${options.runTag}-`));
      pendingLabels.push(next.value);
      if (next.value.drifted && !counters.driftStarted) counters.driftStartedAt = next.value.eventTimeMs;
      counters.driftStarted ||= next.value.drifted;
      next = nextPayment();
    }
    const labels: EventEnvelope<unknown>[] = [];
    pendingLabels.sort((a, b) => a.labelTimeMs - b.labelTimeMs);
    const dueLabels: SyntheticPayment[] = [];
    if (!deps.decided || now - lastDecidedCheck >= DECIDED_CHECK_MS) {
      while (pendingLabels.length > 0 && pendingLabels[0].labelTimeMs <= now) dueLabels.push(pendingLabels.shift()!);
    }
    let ready = dueLabels;
    if (deps.decided && dueLabels.length > 0) {
      lastDecidedCheck = now;
      const decided = await deps.decided(dueLabels.map((p) => `${options.runTag}-${p.paymentId}`));
      const release = (p: SyntheticPayment) => decided.has(`${options.runTag}-${p.paymentId}`) || now - p.labelTimeMs > MAX_LABEL_HOLD_MS;
      ready = dueLabels.filter(release);
      pendingLabels.push(...dueLabels.filter((p) => !release(p)));
    }
    for (const p of ready) {
      labels.push(labelEvent(p, options.modelName, `${options.runTag}-`));
      if (p.isFraud) counters.fraudLabels += 1;
    }
    await publishEvents(producer, TOPICS.paymentsInitiated, due);
    await publishEvents(producer, TOPICS.paymentsLabeled, labels);
    counters.payments += due.length;
    counters.labels += labels.length;
    if (next.done && pendingLabels.length > 0 && pendingLabels[0].labelTimeMs - now > 60_000) break;
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
}

function labelEvent(p: SyntheticPayment, modelName: string, paymentIdPrefix: string): EventEnvelope<unknown> {
  return createEvent(paymentLabeledV1, {
    source: 'urn:mainspring:demo-chargebacks',
    data: { paymentId: `${paymentIdPrefix}${p.paymentId}`, label: p.isFraud ? 'fraud' : 'legit', source: p.isFraud ? 'chargeback' : 'confirmed', labeledAt: new Date().toISOString(), modelName },
  });
}
