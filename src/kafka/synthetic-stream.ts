import { createEvent, paymentInitiatedV1, type EventEnvelope, type PaymentInitiatedV1 } from '../../schemas';
import { generatePayments, type SyntheticOptions, type SyntheticPayment } from '../model/synthetic';

export const SYNTHETIC_SOURCE = 'urn:mainspring:synthetic';

/**
 * A synthetic payment as the `payments.initiated` event a checkout would emit. `paymentIdPrefix` keeps payment ids of
 * separate runs apart (the generator's ids depend only on the seed).
 */
export function syntheticPaymentEvent(p: SyntheticPayment, paymentIdPrefix = '', overrides: { id?: string; userId?: string } = {}): EventEnvelope<PaymentInitiatedV1> {
  return createEvent(paymentInitiatedV1, {
    ...(overrides.id === undefined ? {} : { id: overrides.id }),
    source: SYNTHETIC_SOURCE,
    time: p.eventTime,
    data: {
      paymentId: `${paymentIdPrefix}${p.paymentId}`,
      userId: overrides.userId ?? p.userId,
      merchantId: p.merchantId,
      amount: Math.round(p.amount * 100) / 100,
      currency: p.currency,
      country: p.country,
      merchantCategory: p.merchantCategory,
      deviceId: p.deviceId,
      newDevice: p.newDevice,
      eventTime: p.eventTime,
    },
  });
}

/** Payments whose event times follow the wall clock from now at `ratePerSecond`, so velocity windows are real. */
export function liveSyntheticPayments(options: Omit<SyntheticOptions, 'startTime' | 'ratePerSecond'> & { ratePerSecond: number }): Generator<SyntheticPayment> {
  return generatePayments({ ...options, startTime: Date.now() });
}

/**
 * Calls `send` with slices of `items` so that about `ratePerSecond` items go out per second (ticks of 50 ms);
 * `onProgress` hears the running total. Stops early when `signal` aborts.
 */
export async function paced<T>(
  items: Iterable<T>,
  ratePerSecond: number,
  send: (slice: T[]) => Promise<void>,
  { onProgress, signal }: { onProgress?: (sent: number) => void; signal?: AbortSignal } = {},
): Promise<number> {
  const tickMs = 50;
  const started = Date.now();
  let sent = 0;
  let slice: T[] = [];
  for (const item of items) {
    if (signal?.aborted) break;
    slice.push(item);
    const due = Math.floor(((Date.now() - started + tickMs) / 1000) * ratePerSecond);
    if (sent + slice.length >= due) {
      await send(slice);
      sent += slice.length;
      slice = [];
      onProgress?.(sent);
      const wait = started + (sent / ratePerSecond) * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  if (slice.length > 0 && !signal?.aborted) {
    await send(slice);
    sent += slice.length;
    onProgress?.(sent);
  }
  return sent;
}
