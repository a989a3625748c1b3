import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';

/** gRPC status codes we act on (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GRPC = { CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

/**
 * What a failed start/signal means for the bridge:
 * - `duplicate`: the workflow exists already, which is how a re-delivered event is recognised (success);
 * - `retry`: the service is unavailable, throttling, or misconfigured for every event (auth, namespace): keep the
 *   event and retry with backoff, never skip it;
 * - `reject`: this one request is invalid (e.g. a payload over the server's limit): park it in the DLQ.
 */
export type StartFailureKind = 'duplicate' | 'retry' | 'reject';

export function classifyStartFailure(err: unknown): StartFailureKind {
  if (err instanceof WorkflowExecutionAlreadyStartedError) return 'duplicate';
  const code = grpcCode(err);
  if (code === GRPC.INVALID_ARGUMENT) return 'reject';
  return 'retry';
}

export function grpcCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== err.message ? `${err.message}: ${cause.message}` : err.message;
}
