import type { SearchAttributePair } from '@temporalio/common';
import { pseudonymize } from '../security/pseudonymize';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes';
import { TASK_QUEUES } from '../temporal/task-queues';
import type { Route } from './routes';
import { TOPICS } from './topics';

export const PAYMENT_SAGA_WORKFLOW = 'paymentSaga';

/** The topics mainspring consumes and the workflows they drive. */
export function productRoutes(options: { piiHashKey: string }): Route[] {
  return [
    {
      mode: 'start',
      topic: TOPICS.paymentsInitiated,
      eventType: 'payments.initiated',
      workflowType: PAYMENT_SAGA_WORKFLOW,
      taskQueue: TASK_QUEUES.payments,
      workflowId: (event) => `payment-${event.envelope.id}`,
      summary: (event) => {
        const data = event.data as { paymentId: string; amount: number; currency: string };
        return `payment ${data.paymentId} · ${data.amount.toFixed(2)} ${data.currency}`;
      },
      searchAttributes: (event) => {
        const data = event.data as { paymentId: string; userId: string };
        return [
          { key: SEARCH_ATTRIBUTES.PaymentId, value: data.paymentId },
          { key: SEARCH_ATTRIBUTES.UserId, value: pseudonymize(data.userId, options.piiHashKey) },
        ] as SearchAttributePair[];
      },
    },
  ];
}
