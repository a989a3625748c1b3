import type { Producer } from 'kafkajs';
import { createEvent, paymentLabeledV1, type EventEnvelope } from '../../schemas';
import { publishEvents } from '../kafka/producer';
import { syntheticPaymentEvent } from '../kafka/synthetic-stream';
import { TOPICS } from '../kafka/topics';
import { generatePayments, type SyntheticPayment } from '../model/synthetic';

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
}

export interface StreamCounters {
  payments: number;
  labels: number;
  fraudLabels: number;
  driftStarted: boolean;
}

/**
 * Produces the demo's live stream: payments at the wall-clock rate (event time = now), drift from a chosen moment,
 * and each payment's label after a delay — the feedback the learning loop trains on.
 */
export async function runDemoStream(producer: Producer, options: DemoStreamOptions, counters: StreamCounters, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  const total = Math.round(options.ratePerSecond * options.durationSeconds);
  const driftAt = started + options.driftAtFraction * options.durationSeconds * 1000;
  const [minDelay, maxDelay] = options.labelDelaySeconds;
  const payments = generatePayments({
    seed: options.seed,
    count: total,
    startTime: started,
    ratePerSecond: options.ratePerSecond,
    users: options.users,
    labelDelay: { fraudMs: [minDelay * 1000, maxDelay * 1000], legitMs: [minDelay * 1000, maxDelay * 1000] },
    drift: { startAt: driftAt, fraudPatternShift: true, amountScale: 2.5 },
  });
  const pendingLabels: SyntheticPayment[] = [];
  const tickMs = 100;
  let next = payments.next();
  while (!signal.aborted && (!next.done || pendingLabels.length > 0)) {
    const now = Date.now();
    const due: EventEnvelope<unknown>[] = [];
    while (!next.done && next.value.eventTimeMs <= now) {
      due.push(syntheticPaymentEvent(next.value, `${options.runTag}-`));
      pendingLabels.push(next.value);
      counters.driftStarted ||= next.value.drifted;
      next = payments.next();
    }
    const labels: EventEnvelope<unknown>[] = [];
    pendingLabels.sort((a, b) => a.labelTimeMs - b.labelTimeMs);
    while (pendingLabels.length > 0 && pendingLabels[0].labelTimeMs <= now) {
      const p = pendingLabels.shift()!;
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
