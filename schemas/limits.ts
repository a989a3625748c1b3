// Contract limits that code outside the contracts also applies (the saga trims to them before publishing). No zod
// here: workflow code imports this file and its bundle should not carry a validator it never runs.

/** The most per-feature reasons a contract carries (payments.flagged, payments.scored, decision records). */
export const MAX_REASONS = 32;

/** The reasons a contract takes: the first `MAX_REASONS`, feature and contribution only. */
export function toContractReasons(reasons: ReadonlyArray<{ feature: string; contribution: number }>): Array<{ feature: string; contribution: number }> {
  return reasons.slice(0, MAX_REASONS).map((r) => ({ feature: r.feature, contribution: r.contribution }));
}
