import { log, sleep } from '@temporalio/workflow';
import type { CompensationReason, CompensationRecord, CompensationStep } from './payment-saga.messages';
import { compensationRetryDelayMs } from './activity-profiles';

/** The undo of one effect that already happened. Must be idempotent: it may run again after a crash. */
export interface Compensation {
  step: CompensationStep;
  run(reason: CompensationReason): Promise<unknown>;
}

/**
 * The saga's list of undos. A compensation is pushed only after its effect succeeded (an effect that failed left
 * nothing to undo; its own idempotency key makes a half-done attempt harmless). `unwind` runs them last-in first-out,
 * each until it succeeds, and empties the list, so an effect is never undone twice.
 */
export class CompensationStack {
  private readonly pending: Compensation[] = [];

  register(compensation: Compensation): void {
    this.pending.push(compensation);
  }

  /** Steps waiting to be undone, in registration order. */
  get registered(): CompensationStep[] {
    return this.pending.map((c) => c.step);
  }

  /**
   * Runs every registered compensation in reverse. The activities behind them retry without limit; this loop is the
   * backstop for the one way they still give up (a non-retryable failure): wait with capped backoff and go again.
   * Nothing is swallowed: each failed round is logged and reported through `onRoundFailed` (the saga's status).
   */
  async unwind(
    reason: CompensationReason,
    hooks: { onStart?(step: CompensationStep): void; onRoundFailed?(step: CompensationStep, round: number, error: unknown): void; onDone?(record: CompensationRecord): void } = {},
  ): Promise<CompensationRecord[]> {
    const done: CompensationRecord[] = [];
    for (let next = this.pending.pop(); next !== undefined; next = this.pending.pop()) {
      hooks.onStart?.(next.step);
      for (let round = 1; ; round++) {
        try {
          await next.run(reason);
          const record: CompensationRecord = { step: next.step, reason, attempts: round };
          done.push(record);
          hooks.onDone?.(record);
          break;
        } catch (error) {
          log.error('compensation failed; retrying', { step: next.step, round, error: String(error) });
          hooks.onRoundFailed?.(next.step, round, error);
          await sleep(compensationRetryDelayMs(round));
        }
      }
    }
    return done;
  }
}
