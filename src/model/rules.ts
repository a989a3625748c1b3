// Rule-based fallback scorer, used when the model breaker is open or no model is loaded. Conservative by design: a
// payment is flagged (> 0.85) only when several strong signals coincide, so an ONNX outage does not turn into a
// wave of holds. Rules combine as a noisy-OR: score = 1 − Π(1 − weight of each fired rule).

import { FEATURE_COUNT, featureIndex, type FeatureName } from '../features/payment-features';

export const RULES_VERSION = 'rules-v1';

export interface Reason {
  feature: FeatureName | string;
  /** Signed contribution: logit contribution for a model, rule weight for the rules. Positive pushes to fraud. */
  contribution: number;
  /** The feature value the reason refers to. */
  value: number;
  /** Rule id when the reason comes from the rule scorer. */
  rule?: string;
}

export interface RuleScore {
  probability: number;
  reasons: Reason[];
  rulesVersion: string;
}

interface Rule {
  id: string;
  feature: FeatureName;
  weight: number;
  fires(v: (name: FeatureName) => number): boolean;
}

const RULES: readonly Rule[] = [
  { id: 'velocity-burst', feature: 'velocity_60s', weight: 0.6, fires: (v) => v('velocity_60s') >= 3 },
  { id: 'new-device-abroad', feature: 'new_device', weight: 0.5, fires: (v) => v('new_device') === 1 && v('country_mismatch') === 1 },
  { id: 'large-amount', feature: 'amount', weight: 0.3, fires: (v) => v('amount') >= 2000 },
  { id: 'risky-user', feature: 'user_risk_score', weight: 0.3, fires: (v) => v('user_risk_score') >= 0.7 },
  { id: 'risky-merchant', feature: 'merchant_category_risk', weight: 0.25, fires: (v) => v('merchant_category_risk') >= 0.7 },
  { id: 'new-account', feature: 'account_age_days', weight: 0.15, fires: (v) => v('account_age_days') < 7 },
  { id: 'new-device', feature: 'new_device', weight: 0.1, fires: (v) => v('new_device') === 1 && v('country_mismatch') === 0 },
  { id: 'abroad', feature: 'country_mismatch', weight: 0.1, fires: (v) => v('country_mismatch') === 1 && v('new_device') === 0 },
  { id: 'late-event', feature: 'late_event', weight: 0.05, fires: (v) => v('late_event') === 1 },
];

/** Baseline fraud probability when no rule fires. */
const BASE_RATE = 0.01;

export function scoreWithRules(values: ArrayLike<number>): RuleScore {
  if (values.length !== FEATURE_COUNT) throw new RangeError(`expected ${FEATURE_COUNT} feature values, got ${values.length}`);
  const v = (name: FeatureName): number => values[featureIndex(name)];
  let keep = 1 - BASE_RATE;
  const reasons: Reason[] = [];
  for (const rule of RULES) {
    if (!rule.fires(v)) continue;
    keep *= 1 - rule.weight;
    reasons.push({ feature: rule.feature, contribution: rule.weight, value: v(rule.feature), rule: rule.id });
  }
  reasons.sort((a, b) => b.contribution - a.contribution);
  return { probability: 1 - keep, reasons, rulesVersion: RULES_VERSION };
}
