import { randomUUID } from 'node:crypto';
import { createEvent, paymentInitiatedV1, type PaymentInitiatedV1 } from '../../schemas';
import type { BridgedEvent } from '../../schemas/bridged-event';
import type { PaymentSagaInput, PaymentSagaOptions } from '../../workflows/payment-saga/payment-saga.messages';

/** A valid payments.initiated event as the bridge hands it to the saga (envelope + Kafka coordinates). */
export function bridgedPayment(
  data: Partial<PaymentInitiatedV1> = {},
  options: { kafka?: BridgedEvent<unknown>['kafka']; sagaOptions?: PaymentSagaOptions; time?: string } = {},
): PaymentSagaInput {
  const envelope = createEvent(paymentInitiatedV1, {
    source: 'urn:test',
    ...(options.time ? { time: options.time } : {}),
    data: {
      paymentId: `pay-${randomUUID()}`,
      userId: `user-${randomUUID().slice(0, 8)}`,
      merchantId: 'merch-1',
      amount: 950,
      currency: 'EUR',
      country: 'DE',
      merchantCategory: 'electronics',
      deviceId: 'dev-1',
      ...data,
    },
  });
  return {
    envelope,
    kafka: options.kafka ?? { topic: 'payments.initiated', partition: 0, offset: '42' },
    ...(options.sagaOptions ? { options: options.sagaOptions } : {}),
  };
}
