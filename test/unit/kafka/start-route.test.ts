// startRoute ties a route to its workflow's input type. The compile-time half is checked by `npm run typecheck`:
// the @ts-expect-error below fails the typecheck if a mismatched workflow is ever accepted.
import { startRoute } from '../../../src/kafka/routes';
import type { learningLoop } from '../../../workflows/learning-loop/learning-loop.workflow';
import type { paymentSaga } from '../../../workflows/payment-saga/payment-saga.workflow';

const base = { mode: 'start', topic: 'payments.initiated', workflowType: 'paymentSaga', taskQueue: 'payments', workflowId: () => 'id' } as const;

describe('startRoute', () => {
  it('accepts a workflow that takes the bridged event of the route type, and returns the route as given', () => {
    const route = { ...base, eventType: 'payments.initiated' as const };
    expect(startRoute<typeof paymentSaga>()(route)).toBe(route);
  });

  it('refuses, at compile time, a workflow whose input is not that bridged event', () => {
    // @ts-expect-error the learning loop's input is not a bridged payment
    const wrong = startRoute<typeof learningLoop>()({ ...base, eventType: 'payments.initiated' });
    expect(wrong.eventType).toBe('payments.initiated');
    // @ts-expect-error the saga does not take a label event either
    startRoute<typeof paymentSaga>()({ ...base, eventType: 'payments.labeled' });
  });
});
