// Point-in-time state for replaying historical payments: what the serving path could have seen when it processed an
// event, rebuilt from what is stored now. Pure functions; activities/replay.activities.ts feeds them.
//
//  - velocity: the payments of the same user that came earlier in the log (same partition, since the key is the
//    user) with event time in [t - 60 s, t). Serving counted the payment_event rows present when it enriched; rows
//    stored later (late arrivals, re-sent events) are in that table now but were not then, so replay counts from
//    the log's order instead of querying the table.
//  - risk score: the profile's score now, walked back through the raises (risk_adjustment) and their undos
//    (compensation ledger) that happened after the as-of time.
import { VELOCITY_WINDOW_MS } from '../features/payment-features';

/**
 * Arrival-order velocity: `observe` answers "how many distinct earlier payments of this user, in the window before
 * this event time", then remembers the payment. Feed events in log order (offset order of one partition).
 */
export class LogVelocity {
  private readonly byUser = new Map<string, Array<{ paymentId: string; eventMs: number }>>();
  private readonly seen = new Set<string>();

  observe(userId: string, paymentId: string, eventMs: number): number {
    const earlier = this.byUser.get(userId) ?? [];
    const from = eventMs - VELOCITY_WINDOW_MS;
    let n = 0;
    for (const e of earlier) if (e.paymentId !== paymentId && e.eventMs >= from && e.eventMs < eventMs) n++;
    // The table behind serving's count has one row per payment: a re-sent payment counts once, where it first came.
    if (!this.seen.has(paymentId)) {
      this.seen.add(paymentId);
      earlier.push({ paymentId, eventMs });
      this.byUser.set(userId, earlier);
    }
    return n;
  }
}

/** A change of a user's risk score after the fact: a raise by a FLAG, or its undo by a compensation. */
export interface RiskChange {
  atMs: number;
  kind: 'raise' | 'restore';
  previousScore: number;
  newScore: number;
}

/**
 * The risk score as of `asOfMs`, from the score now and the changes since. Walking back from the newest change: a
 * raise stored the score it replaced (exact); a restore took the raise's delta off, so it is added back.
 */
export function riskScoreAsOf(currentScore: number, changes: readonly RiskChange[], asOfMs: number): number {
  const later = changes.filter((c) => c.atMs > asOfMs).sort((a, b) => b.atMs - a.atMs);
  let score = currentScore;
  for (const c of later) {
    score = c.kind === 'raise' ? c.previousScore : Math.min(1, Math.round((score + (c.newScore - c.previousScore)) * 1e6) / 1e6);
  }
  return score;
}

/** A profile row as the enrichment reads it. */
export interface ProfileSnapshot {
  riskScore: number;
  homeCountry: string | null;
  accountCreatedAt: Date | null;
  knownDevices: string[];
}

/**
 * The profile as of `asOfMs`, or undefined when it did not exist then. A profile without any seeded data was created
 * by the first raise (the saga inserts a bare row to raise it): before that raise the user had no profile.
 */
export function profileAsOf(current: ProfileSnapshot | undefined, changes: readonly RiskChange[], asOfMs: number): ProfileSnapshot | undefined {
  if (!current) return undefined;
  const bare = current.homeCountry === null && current.accountCreatedAt === null && current.knownDevices.length === 0;
  const firstRaise = changes.filter((c) => c.kind === 'raise').reduce((m, c) => Math.min(m, c.atMs), Infinity);
  if (bare && firstRaise !== Infinity && firstRaise > asOfMs) return undefined;
  return { ...current, riskScore: riskScoreAsOf(current.riskScore, changes, asOfMs) };
}

/** Float-exact comparison of two stored vectors (both are float32 values kept as doubles). */
export function sameVector(a: readonly number[] | null | undefined, b: readonly number[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
