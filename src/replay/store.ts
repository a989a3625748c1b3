import { eq } from 'drizzle-orm';
import type { ReplayReport } from '../../schemas/replay';
import type { Db } from '../db/client';
import { replayReport } from '../db/schema';

/** A finished replay job's stored report (written by the job's last activity), or null while none is stored. */
export async function loadReplayReport(db: Db, replayId: string): Promise<ReplayReport | null> {
  const [row] = await db.select().from(replayReport).where(eq(replayReport.replayId, replayId));
  return row ? (row.report as unknown as ReplayReport) : null;
}
