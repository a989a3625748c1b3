import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

// Every timeout and retry policy of the payment saga, in one place. Three kinds of step, three behaviours:
//  - local (enrich, score; the APPROVE record): sub-millisecond-to-few-ms work inside the workflow task; no separate history events per
//    attempt. Bounded, so a database outage before anything was done ends the saga visibly instead of hiding in
//    retries for hours (nothing to undo yet; the failure names the step).
//  - effect (act + first record): retried briefly, then given up on so that the saga undoes what it did. A payment
//    held for minutes because a notification service is down is worse than an undone, visibly failed saga.
//  - mustComplete (compensations, escalation, post-review labels and records): retried until they succeed. Giving up
//    here would leave money held or a verdict unrecorded, and there is nothing left to fall back to.

export const ENRICH: LocalActivityOptions = {
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '2m',
  // Beyond this the SDK backs off with a durable timer instead of spinning inside one workflow task.
  localRetryThreshold: '5s',
  retry: { initialInterval: '50ms', backoffCoefficient: 2, maximumInterval: '10s' },
};

export const SCORE: LocalActivityOptions = {
  // The runtime never throws for a model problem (it falls back to rules); bad input is thrown non-retryable. What is
  // left is a starved worker (an attempt outliving its timeout): retried like enrich, so a busy machine delays the
  // decision instead of ending the saga without one (seen at load 19 on 2 cores with a 3-attempt cap).
  startToCloseTimeout: '5s',
  scheduleToCloseTimeout: '2m',
  localRetryThreshold: '5s',
  retry: { initialInterval: '20ms', backoffCoefficient: 2, maximumInterval: '5s' },
};

/** Enrich + score as one local activity (saga version 2): the tolerance of both, as either may be starved. */
export const ASSESS: LocalActivityOptions = ENRICH;

/**
 * The APPROVE path's decision record (+ payments.scored), local since saga version 2: nothing was acted on, so
 * nothing is undone if it gives up, and staying in the first workflow task saves the remote activity's three server
 * round trips. The same budget as an effect; retries past localRetryThreshold back off on a durable timer.
 */
export const RECORD_APPROVAL: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  localRetryThreshold: '5s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 6 },
};

export const EFFECT: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 6 },
};

export const MUST_COMPLETE: ActivityOptions = {
  startToCloseTimeout: '30s',
  // No maximumAttempts (unlimited) and no scheduleToClose: the server keeps retrying with capped backoff.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m' },
};

/** Backoff of the workflow-level retry around a compensation whose activity gave up anyway (non-retryable error). */
export function compensationRetryDelayMs(round: number): number {
  return Math.min(10 * 60_000, 5_000 * 2 ** Math.min(round - 1, 8));
}
