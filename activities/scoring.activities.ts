import { featureVectorFromValues, FEATURE_SPEC_VERSION } from '../src/features/payment-features';
import type { ModelRuntime } from '../src/model/runtime';
import { failPermanentFast } from './shared';

export interface ScorePaymentInput {
  paymentId: string;
  featureSpecVersion: string;
  /** The logged vector, in spec order. */
  vector: number[];
}

export interface ScoreReason {
  feature: string;
  /** Signed; positive pushes toward fraud (logit contribution for a model, rule weight for the rules). */
  contribution: number;
  value?: number;
  rule?: string;
}

export interface ScoringResult {
  probability: number;
  modelName: string;
  /** Champion version, or the rules version when `fallback`. */
  modelVersion: string;
  reasons: ScoreReason[];
  fallback: boolean;
  fallbackReason?: string;
  breakerState: string;
  latencyMicros: number;
  /** The shadow model's opinion: recorded, never acted on. */
  shadow?: { modelVersion: string; probability?: number; error?: string };
}

export function createScoringActivities(deps: { models: ModelRuntime; modelName: string }) {
  return {
    /**
     * Champion (+ shadow) through the model runtime. A broken, slow or missing model is not an error here: the runtime
     * answers with the rule fallback and says so (`fallback`, `fallbackReason`), and the saga records it.
     */
    async scorePayment(input: ScorePaymentInput): Promise<ScoringResult> {
      return failPermanentFast(async () => {
        if (input.featureSpecVersion !== FEATURE_SPEC_VERSION) {
          throw Object.assign(new Error(`vector of ${input.paymentId} has spec ${input.featureSpecVersion}, runtime serves ${FEATURE_SPEC_VERSION}`), {
            code: 'FEATURE_SPEC_MISMATCH',
          });
        }
        const r = await deps.models.score(featureVectorFromValues(input.vector));
        const result: ScoringResult = {
          probability: r.probability,
          modelName: deps.modelName,
          modelVersion: r.modelVersion,
          reasons: r.reasons.map((x) => ({ feature: x.feature, contribution: x.contribution, value: x.value, ...(x.rule ? { rule: x.rule } : {}) })),
          fallback: r.fallback,
          breakerState: r.breakerState,
          latencyMicros: r.latencyMicros,
        };
        if (r.fallbackReason) result.fallbackReason = r.fallbackReason;
        if (r.shadow) {
          result.shadow =
            'error' in r.shadow
              ? { modelVersion: r.shadow.modelVersion, error: r.shadow.error }
              : { modelVersion: r.shadow.modelVersion, probability: r.shadow.probability };
        }
        return result;
      });
    },
  };
}
