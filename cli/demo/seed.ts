import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client';
import { userRiskProfile } from '../../src/db/schema';
import type { SyntheticUser } from '../../src/model/synthetic';

/**
 * Writes the synthetic population into the online store (user_risk_profile) so enrichment sees the same users the
 * generator simulates: risk score, home country, account age and the usual device. Upserts: re-running is safe.
 */
export async function seedRiskProfiles(db: Db, users: readonly SyntheticUser[], now = new Date()): Promise<number> {
  const chunk = 1000;
  for (let i = 0; i < users.length; i += chunk) {
    const rows = users.slice(i, i + chunk).map((u) => ({
      userId: u.userId,
      riskScore: u.riskScore,
      homeCountry: u.homeCountry,
      accountCreatedAt: new Date(now.getTime() - u.accountAgeDays * 86_400_000),
      knownDevices: [u.primaryDeviceId],
    }));
    await db
      .insert(userRiskProfile)
      .values(rows)
      .onConflictDoUpdate({
        target: userRiskProfile.userId,
        set: {
          riskScore: sql`excluded.risk_score`,
          homeCountry: sql`excluded.home_country`,
          accountCreatedAt: sql`excluded.account_created_at`,
          knownDevices: sql`excluded.known_devices`,
          updatedAt: sql`now()`,
        },
      });
  }
  return users.length;
}
