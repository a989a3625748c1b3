import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { AssessmentFailureDetails } from '../../activities';
import { PAYMENT_SAGA_FAILURES, type CompensationRecord } from './payment-saga.messages';

export type PaymentSagaFailureCode = 'SAGA_COMPENSATED' | 'SAGA_FAILED' | 'SAGA_INPUT_INVALID';

const TYPES: Record<PaymentSagaFailureCode, string> = {
  SAGA_COMPENSATED: PAYMENT_SAGA_FAILURES.compensated,
  SAGA_FAILED: PAYMENT_SAGA_FAILURES.failed,
  SAGA_INPUT_INVALID: PAYMENT_SAGA_FAILURES.inputInvalid,
};

export interface PaymentSagaFailureDetails {
  code: PaymentSagaFailureCode;
  paymentId: string;
  /** The step that failed for good (enrich, score, hold-payment, ..., record). */
  step?: string;
  /** What was undone, in the order it was undone. */
  compensations?: CompensationRecord[];
}

/**
 * How the saga ends when it cannot finish: non-retryable (the saga decides what a retry means, not the server), typed
 * for clients (`failure.cause.type`), with the failing step and the undos in `details[0]`, the original error as cause.
 */
export class PaymentSagaFailure extends ApplicationFailure {
  readonly code: PaymentSagaFailureCode;
  constructor(message: string, details: PaymentSagaFailureDetails, cause?: Error) {
    super(message, TYPES[details.code], true, [details], cause);
    this.code = details.code;
  }
}

/** The step (enrich or score) an assessPayment failure names in its details, if it is one. */
export function failedAssessmentStep(err: unknown): AssessmentFailureDetails['step'] | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const step = (cause.details?.[0] as Partial<AssessmentFailureDetails> | undefined)?.step;
  return step === 'enrich' || step === 'score' ? step : undefined;
}
