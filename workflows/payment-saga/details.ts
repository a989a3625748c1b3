import type { PaymentSagaStatus } from './payment-saga.messages';

/** `950.00 EUR`: two decimals whatever the currency; a summary, not an accounting document. */
export function formatAmount(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}

/**
 * The one-line summary the Temporal UI shows for the running saga (current details, Temporal markdown), e.g.
 * `payment p-123 · 950.00 EUR · FLAG 0.93` followed by where the saga stands.
 */
export function sagaDetails(status: PaymentSagaStatus, amount: number, currency: string): string {
  const head = [`**payment ${status.paymentId}**`, formatAmount(amount, currency)];
  if (status.decision !== undefined && status.score !== undefined) head.push(`${status.decision} ${status.score.toFixed(2)}`);
  const lines = [head.join(' · ')];
  const model = status.modelVersion === undefined ? '' : `model ${status.modelVersion}${status.fallback ? ` (fallback: ${status.fallbackReason ?? 'rules'})` : ''}`;
  lines.push([`phase ${status.phase}`, status.outcome && `outcome ${status.outcome}`, model, status.threshold !== undefined && `threshold ${status.threshold}`].filter(Boolean).join(' · '));
  const done = status.actions.filter((a) => a.status === 'done').map((a) => a.step);
  if (done.length > 0) lines.push(`actions: ${done.join(', ')}`);
  if (status.compensations.length > 0) lines.push(`compensated: ${status.compensations.map((c) => c.step).join(', ')}`);
  if (status.review) lines.push(`review: ${status.review.verdict} by ${status.review.reviewer}`);
  else if (status.escalatedAt) lines.push(`review escalated at ${status.escalatedAt}`);
  if (status.failure) lines.push(`failed at ${status.failure.step}: ${status.failure.message}`);
  return lines.join('\n\n');
}
