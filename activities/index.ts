// Activities of mainspring, built from their dependencies: plain async functions, keyed and idempotent. Workers
// register `createActivities(deps)`; workflows see only the type (`import type { PaymentSagaActivities }`).
import { createActionActivities } from './actions.activities';
import { createAssessmentActivities } from './assessment.activities';
import { createAuditActivities } from './audit.activities';
import { createEnrichmentActivities } from './enrichment.activities';
import { createScoringActivities } from './scoring.activities';
import { resolveDeps, type ActivityDeps } from './shared';

export type { ActivityDeps, SagaTopics } from './shared';
export { DEFAULT_SAGA_TOPICS, eventIdFor } from './shared';
export type * from './actions.activities';
export type * from './assessment.activities';
export type * from './audit.activities';
export type * from './enrichment.activities';
export type * from './scoring.activities';
export { createScoringActivities } from './scoring.activities';

export function createActivities(deps: ActivityDeps) {
  const resolved = resolveDeps(deps);
  const enrichment = createEnrichmentActivities(resolved);
  const scoring = createScoringActivities(resolved);
  return {
    ...enrichment,
    ...scoring,
    ...createAssessmentActivities({ ...enrichment, ...scoring }),
    ...createActionActivities(resolved),
    ...createAuditActivities(resolved),
  };
}

/** Every activity of the payment saga, by name. */
export type PaymentSagaActivities = ReturnType<typeof createActivities>;
