// Label activities: payments.labeled events upserted one per payment (newest labeledAt wins), counted once.
import { sql } from 'drizzle-orm';
import { label as labelTable } from '../../src/db/schema/payments';
import type { LabelInput } from '../../schemas/learning';
import type { RecordLabelsInput, RecordLabelsResult } from '../../schemas/learning-activities';
import { invalid, parseTime, type LearningActivityDeps } from './shared';

export function createLabelActivities(deps: LearningActivityDeps) {
  const { db } = deps;
  const logger = deps.logger?.child({ component: 'learning-activities' });
  return {
    /** Upserts labels (one per payment, newest labeledAt wins) and says how many payments are newly labelled. */
    async recordLabels(input: RecordLabelsInput): Promise<RecordLabelsResult> {
      const byPayment = new Map<string, LabelInput>();
      for (const l of input.labels) {
        if (l.label !== 'fraud' && l.label !== 'legit') throw invalid(`label of ${l.paymentId} must be fraud or legit, got ${JSON.stringify(l.label)}`);
        parseTime(l.labeledAt, `labeledAt of ${l.paymentId}`);
        const seen = byPayment.get(l.paymentId);
        if (!seen || Date.parse(seen.labeledAt) <= Date.parse(l.labeledAt)) byPayment.set(l.paymentId, l);
      }
      const rows = [...byPayment.values()];
      let inserted = 0;
      let updated = 0;
      for (let i = 0; i < rows.length; i += 1000) {
        const chunk = rows.slice(i, i + 1000);
        const returned = await db
          .insert(labelTable)
          .values(chunk.map((l) => ({ paymentId: l.paymentId, label: l.label, source: l.source, labeledAt: new Date(l.labeledAt), eventId: l.eventId })))
          .onConflictDoUpdate({
            target: labelTable.paymentId,
            set: { label: sql`excluded.label`, source: sql`excluded.source`, labeledAt: sql`excluded.labeled_at`, eventId: sql`excluded.event_id` },
            setWhere: sql`${labelTable.eventId} <> excluded.event_id and ${labelTable.labeledAt} <= excluded.labeled_at`,
          })
          .returning({ inserted: sql<boolean>`(xmax = 0)` });
        for (const r of returned) {
          if (r.inserted) inserted++;
          else updated++;
        }
      }
      const unchanged = input.labels.length - inserted - updated;
      logger?.debug({ modelName: input.modelName, inserted, updated, unchanged }, 'labels recorded');
      return { inserted, updated, unchanged };
    },

  };
}
