// The payment saga's vocabulary, shared by the workflow, the activities that act on its decisions, replays and the
// bench's plain pipeline: the decision and its rule, the effects and their undo, review verdicts. Pure.

export type Decision = 'APPROVE' | 'FLAG';

/** Score above which a payment is flagged unless the saga's options say otherwise. */
export const DEFAULT_THRESHOLD = 0.85;

/** Strictly above the threshold flags: a score equal to it is not evidence enough to hold someone's money. */
export function decide(score: number, threshold: number): Decision {
  return score > threshold ? 'FLAG' : 'APPROVE';
}

/** Effects of a FLAG, in the order they are taken (hold first: payments.flagged promises the money is held). */
export type ActionStep = 'hold-payment' | 'publish-flagged' | 'notify-fraud-team' | 'raise-risk-profile';
/** The undo of each effect. */
export type CompensationStep = 'release-hold' | 'retract-flag' | 'withdraw-fraud-notification' | 'restore-risk-profile';
/** Why compensations ran: a step after acting failed for good, the reviewer found the payment legit, or the saga was cancelled. */
export type CompensationReason = 'step-failed' | 'review-legit' | 'saga-cancelled';

export type ReviewVerdict = 'fraud' | 'legit';

export interface ResolveReviewRequest {
  verdict: ReviewVerdict;
  /** Who decided (analyst id or e-mail); recorded in the decision row. */
  reviewer: string;
  note?: string;
}

export interface ReviewRecord extends ResolveReviewRequest {
  /** Workflow time the verdict was accepted, ISO-8601. */
  at: string;
}

export interface CompensationRecord {
  step: CompensationStep;
  reason: CompensationReason;
  /** Workflow-level tries (each one an activity with its own retries; every activity attempt is in the ledger). */
  attempts: number;
}
