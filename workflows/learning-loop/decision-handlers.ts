// The loop's promotion decisions: approvePromotion / rejectPromotion as updates (CLI, validated before they reach
// history) and as signals (Temporal UI: refused ones are listed in the status). They are checked against the open
// approval request — the loop's own, or the running cycle child's as its last progress showed it — and, for a cycle
// child, forwarded to it; an update answers once the cycle reports the decision's result.
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import type { ApprovalState } from '../learning-cycle/steps';
import { iso, now } from '../learning-cycle/steps';
import { LEARNING_FAILURES, PROMOTION_DECISIONS, type PromotionDecisionResult } from './learning-loop.messages';
import { checkPromotionDecision, type PromotionDecisionRequest, type RequestRejection } from '../learning/requests';
import type { RefusedRequest } from '../learning/types';

export function refuse(rejection: RequestRejection | null): void {
  if (rejection) {
    throw ApplicationFailure.create({ type: LEARNING_FAILURES.requestRejected, message: rejection.message, details: [{ code: rejection.code }], nonRetryable: true });
  }
}

/** The version awaiting approval, if no decision or drift has answered its request yet. */
export const awaitingVersion = (approval: ApprovalState): string | null =>
  approval.awaiting && !approval.decision && !approval.expiredBy ? approval.awaiting.version : null;

export interface DecisionHandlerContext {
  approval: ApprovalState;
  decisionResults: Map<string, PromotionDecisionResult>;
  /** Requests that ended without the accepted decision (a cycle child saw drift or its deadline first), by status. */
  closedRequests: ReadonlyMap<string, string>;
  approvers(): string[];
  recordRefused(r: Omit<RefusedRequest, 'at'>): void;
  /** A decision was accepted: wake the cycle (forward it to the cycle child, if one runs). */
  accepted(kind: 'approve' | 'reject', request: PromotionDecisionRequest, via: 'update' | 'signal'): void;
}

export function setDecisionHandlers(ctx: DecisionHandlerContext): void {
  const { approval, decisionResults } = ctx;

  function acceptDecision(kind: 'approve' | 'reject', request: PromotionDecisionRequest, via: 'update' | 'signal'): string {
    const { awaiting } = approval;
    if (!awaiting) throw ApplicationFailure.create({ type: LEARNING_FAILURES.requestRejected, message: 'no promotion is awaiting approval', nonRetryable: true });
    approval.decision = { kind, request: { ...request, approver: request.approver.trim(), version: request.version.trim() }, via, at: iso(now()) };
    ctx.accepted(kind, request, via);
    return awaiting.requestId;
  }

  for (const [kind, update, signal] of PROMOTION_DECISIONS) {
    setHandler(
      update,
      async (request) => {
        const requestId = acceptDecision(kind, request, 'update');
        await condition(() => decisionResults.has(requestId) || ctx.closedRequests.has(requestId));
        const result = decisionResults.get(requestId);
        if (result) return result;
        throw ApplicationFailure.create({
          type: LEARNING_FAILURES.requestRejected,
          message: `the approval request for ${request.version.trim()} ended ${ctx.closedRequests.get(requestId)} before the decision reached the cycle`,
          details: [{ code: 'NO_PENDING_APPROVAL' }],
          nonRetryable: true,
        });
      },
      { validator: (request) => refuse(checkPromotionDecision(request, awaitingVersion(approval), ctx.approvers())) },
    );
    setHandler(signal, (request) => {
      const rejection = checkPromotionDecision(request, awaitingVersion(approval), ctx.approvers());
      if (rejection) {
        return ctx.recordRefused({ kind: kind === 'approve' ? 'approvePromotion' : 'rejectPromotion', ...rejection, from: (request as { approver?: string })?.approver });
      }
      acceptDecision(kind, request, 'signal');
    });
  }
}
