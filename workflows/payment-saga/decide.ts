import { DEFAULT_THRESHOLD } from '../../schemas/payment-saga';
import type { PaymentSagaOptions } from './payment-saga.messages';

export const DEFAULT_REVIEW_DEADLINE = '72h';

/** The threshold in force for a model: per-model option, then the saga-wide option, then the default. */
export function resolveThreshold(options: PaymentSagaOptions | undefined, modelName: string): number {
  return options?.thresholdByModel?.[modelName] ?? options?.threshold ?? DEFAULT_THRESHOLD;
}

/** Problems with the options, before the saga does anything (empty = fine). */
export function checkOptions(options: PaymentSagaOptions | undefined): string[] {
  const problems: string[] = [];
  const inRange = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1;
  if (options?.threshold !== undefined && !inRange(options.threshold)) problems.push(`threshold must be in [0, 1], got ${options.threshold}`);
  for (const [model, t] of Object.entries(options?.thresholdByModel ?? {})) {
    if (!inRange(t)) problems.push(`thresholdByModel.${model} must be in [0, 1], got ${t}`);
  }
  return problems;
}
