import { ApplicationFailure } from '@temporalio/activity';
import type { EnrichmentResult, EnrichPaymentInput } from './enrichment.activities';
import type { ScorePaymentInput, ScoringResult } from './scoring.activities';

export interface AssessmentResult {
  enriched: EnrichmentResult;
  scored: ScoringResult;
}

/** The step of an assessment that failed, carried in the ApplicationFailure's `details[0]`. */
export interface AssessmentFailureDetails {
  step: 'enrich' | 'score';
}

export interface AssessmentSteps {
  enrichPayment(input: EnrichPaymentInput): Promise<EnrichmentResult>;
  scorePayment(input: ScorePaymentInput): Promise<ScoringResult>;
}

/**
 * Enrich, then score the vector enrichment logged: both in-process and fast, so the saga runs them as one local
 * activity (one history marker, one activation) and can decide, record and complete in its first workflow task.
 * A failure keeps its type and retryability and names the step, so the saga still reports "enrich failed" or
 * "score failed".
 */
export async function assessPayment(steps: AssessmentSteps, input: EnrichPaymentInput): Promise<AssessmentResult> {
  const enriched = await inStep('enrich', () => steps.enrichPayment(input));
  const scored = await inStep('score', () => steps.scorePayment({ paymentId: input.paymentId, featureSpecVersion: enriched.featureSpecVersion, vector: enriched.vector }));
  return { enriched, scored };
}

async function inStep<T>(step: AssessmentFailureDetails['step'], run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const type = (err instanceof ApplicationFailure ? err.type : (err as { code?: string }).code) ?? error.name;
    const nonRetryable = err instanceof ApplicationFailure ? (err.nonRetryable ?? false) : false;
    const details: AssessmentFailureDetails = { step };
    throw ApplicationFailure.create({ message: `${step}: ${error.message}`, type, nonRetryable, details: [details], cause: error });
  }
}

export function createAssessmentActivities(steps: AssessmentSteps) {
  return {
    /** Enrich + score in one step: the saga's local activity before it decides. */
    assessPayment: (input: EnrichPaymentInput): Promise<AssessmentResult> => assessPayment(steps, input),
  };
}
