import type { ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../../schemas/failures';

// Timeouts and retries of the learning loop's activities, in one place.
//  - STORE: small idempotent writes/reads (labels, records, aliases). Retried until they succeed: losing a label or
//    an audit row is worse than waiting out a database outage.
//  - MEASURE: drift checks and paired comparisons. A few tries, then the workflow treats the poll as "no data yet".
//  - TRAIN / EVALUATE: heavy, heartbeating. Bounded retries; a cycle whose training fails for good ends as `failed`.
//  - ALIAS: promotion, rollback, shadow changes. Never given up on: an approved promotion must happen.

/** Error types no retry can fix (activities raise them as non-retryable ApplicationFailures too). */
const PERMANENT = [...NON_RETRYABLE_ERROR_TYPES];

export const STORE: ActivityOptions = {
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m', nonRetryableErrorTypes: PERMANENT },
};

export const MEASURE: ActivityOptions = {
  startToCloseTimeout: '5m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 4, nonRetryableErrorTypes: PERMANENT },
};

export const TRAIN: ActivityOptions = {
  startToCloseTimeout: '1h',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '30s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 3, nonRetryableErrorTypes: PERMANENT },
};

export const ALIAS: ActivityOptions = {
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m', nonRetryableErrorTypes: PERMANENT },
};
