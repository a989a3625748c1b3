import { createEvent, eventIdFor, paymentLabeledV1 } from '../../schemas';
import { syntheticPaymentEvent } from '../../src/kafka/synthetic-stream';
import { generatePayments, type SyntheticPayment } from '../../src/model/synthetic';
import { seededRandom, type PlannedEvent } from './schedule';

/** Header on every record a chaos run produces: the planned event it carries (kept by the DLQ, which copies headers). */
export const CHAOS_INDEX_HEADER = 'chaos-index';

export interface ChaosRecord {
  index: number;
  key: string | null;
  value: Buffer;
  /** Valid events: the envelope id (workflow id `payment-<id>`) and the payment id. */
  eventId?: string;
  paymentId?: string;
  /** Valid events with a label: the payments.labeled record that follows it. */
  label?: { key: string; value: Buffer };
}

/**
 * Turns the plan into Kafka records. Ids derive from the seed (not random) so two runs of one seed carry the same
 * events; payments follow the synthetic world the champion was trained on, event time = now.
 */
export function buildRecords(plan: readonly PlannedEvent[], options: { seed: number; users: number; ratePerSecond: number; modelName: string }): ChaosRecord[] {
  const validCount = plan.filter((p) => p.kind === 'valid').length;
  const payments: SyntheticPayment[] = [...generatePayments({ seed: options.seed, count: validCount, startTime: Date.now(), ratePerSecond: options.ratePerSecond, users: options.users })];
  const random = seededRandom(options.seed ^ 0xbad);
  const tag = `c${options.seed}`;
  const idOf = (i: number) => eventIdFor(`chaos:${options.seed}:${i}`);
  const paymentEvent = (p: SyntheticPayment, i: number, userId = p.userId) => syntheticPaymentEvent(p, `${tag}-`, { id: idOf(i), userId });
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  return plan.map((event): ChaosRecord => {
    const base = payments[event.payment ?? Math.floor(random() * payments.length)];
    const envelope = paymentEvent(base, event.index);
    switch (event.kind) {
      case 'valid': {
        const userId = event.burstOf === undefined ? base.userId : payments[event.burstOf].userId;
        const e = event.burstOf === undefined ? envelope : paymentEvent(base, event.index, userId);
        const record: ChaosRecord = { index: event.index, key: e.subject, value: json(e), eventId: e.id, paymentId: e.data.paymentId };
        if (event.labeled) {
          const label = createEvent(paymentLabeledV1, {
            id: idOf(event.index + 10_000_000),
            source: 'urn:mainspring:chaos',
            data: { paymentId: e.data.paymentId, label: base.isFraud ? 'fraud' : 'legit', source: base.isFraud ? 'chargeback' : 'confirmed', labeledAt: new Date().toISOString(), modelName: options.modelName },
          });
          record.label = { key: label.subject, value: json(label) };
        }
        return record;
      }
      case 'not-json':
        return { index: event.index, key: envelope.subject, value: Buffer.from([0x7b, 0x00, 0xff, 0xfe, ...Buffer.from(`garbage ${random()}`)]) };
      case 'envelope-invalid':
        return { index: event.index, key: envelope.subject, value: json({ hello: 'world', data: envelope.data }) };
      case 'unknown-type':
        return { index: event.index, key: envelope.subject, value: json({ ...envelope, type: 'payments.teleported', dataschema: 'payments.teleported/v1' }) };
      case 'unknown-version':
        return { index: event.index, key: envelope.subject, value: json({ ...envelope, dataschema: 'payments.initiated/v99' }) };
      case 'contract-violation':
        return { index: event.index, key: envelope.subject, value: json({ ...envelope, data: { ...envelope.data, amount: -Math.ceil(random() * 100) } }) };
      case 'route-mismatch': {
        const label = createEvent(paymentLabeledV1, { id: idOf(event.index), source: 'urn:mainspring:chaos', data: { paymentId: envelope.data.paymentId, label: 'legit', source: 'confirmed', labeledAt: new Date().toISOString(), modelName: options.modelName } });
        return { index: event.index, key: label.subject, value: json(label) };
      }
      case 'missing-key':
        return { index: event.index, key: null, value: json(envelope) };
      case 'too-large':
        return { index: event.index, key: envelope.subject, value: json({ ...envelope, padding: 'x'.repeat(300 * 1024) }) };
    }
  });
}
