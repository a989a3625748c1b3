import { ApplicationFailure } from '@temporalio/workflow';
import { REVIEW_REJECTED, type ResolveReviewRequest, type ReviewRejectionCode, type SagaPhase } from './payment-saga.messages';

const VERDICTS: readonly string[] = ['fraud', 'legit'];
export const MAX_REVIEWER_LENGTH = 256;
export const MAX_NOTE_LENGTH = 500;

/** A refused resolveReview. Thrown from the validator, so the request never reaches history. */
export class ReviewRejectedError extends ApplicationFailure {
  constructor(
    readonly code: ReviewRejectionCode,
    message: string,
  ) {
    super(message, REVIEW_REJECTED, true, [{ code }]);
  }
}

/**
 * The update validator: the saga must be waiting for a verdict, the verdict known, the reviewer named. The input comes
 * straight from a client (CLI, UI), so it is checked as unknown data.
 */
export function validateReviewRequest(request: unknown, phase: SagaPhase): void {
  if (phase !== 'in-review') throw new ReviewRejectedError('NOT_IN_REVIEW', `saga is not waiting for a review (phase ${phase})`);
  if (typeof request !== 'object' || request === null) throw new ReviewRejectedError('REQUEST_INVALID', 'request must be an object');
  const { verdict, reviewer, note } = request as Partial<Record<keyof ResolveReviewRequest, unknown>>;
  if (typeof verdict !== 'string' || !VERDICTS.includes(verdict)) {
    throw new ReviewRejectedError('UNKNOWN_VERDICT', `verdict must be one of ${VERDICTS.join(', ')}, got ${JSON.stringify(verdict)}`);
  }
  if (typeof reviewer !== 'string' || reviewer.trim() === '' || reviewer.length > MAX_REVIEWER_LENGTH) {
    throw new ReviewRejectedError('REVIEWER_MISSING', `reviewer must be a non-empty string of at most ${MAX_REVIEWER_LENGTH} characters`);
  }
  if (note !== undefined && (typeof note !== 'string' || note.length > MAX_NOTE_LENGTH)) {
    throw new ReviewRejectedError('NOTE_INVALID', `note must be a string of at most ${MAX_NOTE_LENGTH} characters`);
  }
}
