// What a replayed payment's features are computed from, as of any moment: each user's risk profile and every change
// to its risk score (raised by a saga, restored by its compensation at the time the ledger says).
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client';
import { compensationLedger, riskAdjustment, userRiskProfile } from '../../src/db/schema';
import type { ProfileSnapshot, RiskChange } from '../../src/replay/point-in-time';

/** The saga's workflow id of an idempotency key (`<workflowId>:<step>`). */
function workflowIdOfKey(idempotencyKey: string): string {
  const i = idempotencyKey.lastIndexOf(':');
  return i < 0 ? idempotencyKey : idempotencyKey.slice(0, i);
}

/** Profiles and risk changes of these users, for point-in-time lookups. */
export async function loadPointInTimeData(db: Db, userIds: string[]): Promise<{ profiles: Map<string, ProfileSnapshot>; changes: Map<string, RiskChange[]> }> {
  const profiles = new Map<string, ProfileSnapshot>();
  const changes = new Map<string, RiskChange[]>();
  if (userIds.length === 0) return { profiles, changes };
  const [profileRows, adjustments] = await Promise.all([
    db.select().from(userRiskProfile).where(inArray(userRiskProfile.userId, userIds)),
    db.select().from(riskAdjustment).where(inArray(riskAdjustment.userId, userIds)),
  ]);
  for (const p of profileRows) profiles.set(p.userId, { riskScore: p.riskScore, homeCountry: p.homeCountry, accountCreatedAt: p.accountCreatedAt, knownDevices: p.knownDevices });
  const reverted = adjustments.filter((a) => a.reverted).map((a) => workflowIdOfKey(a.idempotencyKey));
  const restoredAt = new Map<string, number>();
  if (reverted.length > 0) {
    const rows = await db
      .select({ workflowId: compensationLedger.workflowId, at: sql<Date>`min(${compensationLedger.at})` })
      .from(compensationLedger)
      .where(and(inArray(compensationLedger.workflowId, reverted), eq(compensationLedger.step, 'restore-risk-profile'), eq(compensationLedger.outcome, 'succeeded')))
      .groupBy(compensationLedger.workflowId);
    for (const r of rows) restoredAt.set(r.workflowId, new Date(r.at).getTime());
  }
  for (const a of adjustments) {
    const list = changes.get(a.userId) ?? [];
    list.push({ atMs: a.createdAt.getTime(), kind: 'raise', previousScore: a.previousScore, newScore: a.newScore });
    const restored = a.reverted ? restoredAt.get(workflowIdOfKey(a.idempotencyKey)) : undefined;
    if (restored !== undefined) list.push({ atMs: restored, kind: 'restore', previousScore: a.previousScore, newScore: a.newScore });
    changes.set(a.userId, list);
  }
  return { profiles, changes };
}
