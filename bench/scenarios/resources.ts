// Footprint per saga: Temporal history events (fetched for a few sagas of each decision), PostgreSQL rows written per
// payment on each side, and the Temporal dev server's database growth.
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { BenchContext } from '../lib/context';
import { atMost, type ComparisonRow } from '../lib/report';
import { ratio, summarize } from '../lib/stats';

export const COUNTED_TABLES = ['payment_event', 'feature_log', 'decision', 'payment_hold', 'notification', 'risk_adjustment', 'compensation_ledger'] as const;

export type RowCounts = Record<(typeof COUNTED_TABLES)[number], number>;

export async function countRows(pool: Pool, prefix?: string): Promise<RowCounts> {
  // payment-keyed tables by payment prefix; the rest (risk_adjustment, ledger) keyed by workflow/idempotency key.
  const like = prefix ? `${prefix}%` : '%';
  const { rows } = await pool.query<Record<string, string>>(
    `select
       (select count(*) from payment_event where payment_id like $1) as payment_event,
       (select count(*) from feature_log where payment_id like $1) as feature_log,
       (select count(*) from decision where payment_id like $1) as decision,
       (select count(*) from payment_hold where payment_id like $1) as payment_hold,
       (select count(*) from notification where payment_id like $1) as notification,
       (select count(*) from risk_adjustment ra where exists (select 1 from decision d where d.payment_id like $1 and ra.idempotency_key like d.workflow_id || ':%')) as risk_adjustment,
       (select count(*) from compensation_ledger cl where exists (select 1 from decision d where d.payment_id like $1 and cl.workflow_id = d.workflow_id)) as compensation_ledger`,
    [like],
  );
  return Object.fromEntries(COUNTED_TABLES.map((t) => [t, Number(rows[0][t])])) as RowCounts;
}

export async function footprintScenario(
  ctx: BenchContext,
  deps: { pool: Pool; temporal: Client; mainspringPrefix: string; plainPrefix: string; events: number; temporalDbBytes?: number },
): Promise<void> {
  const [m, p] = await Promise.all([countRows(deps.pool, deps.mainspringPrefix), countRows(deps.pool, deps.plainPrefix)]);
  const total = (c: RowCounts) => Object.values(c).reduce((a, b) => a + b, 0);
  const perEvent = (c: RowCounts) => total(c) / Math.max(1, c.decision);

  const { rows: sample } = await deps.pool.query<{ workflow_id: string; decision: string }>(
    `(select workflow_id, decision from decision where payment_id like $1 and decision = 'APPROVE' limit 5)
     union all (select workflow_id, decision from decision where payment_id like $1 and decision = 'FLAG' limit 3)`,
    [`${deps.mainspringPrefix}%`],
  );
  const histories: Array<{ workflowId: string; decision: string; events: number; workflowTasks: number; bytes: number }> = [];
  for (const s of sample) {
    const history = await deps.temporal.workflow.getHandle(s.workflow_id).fetchHistory();
    const events = history.events ?? [];
    const workflowTasks = events.filter((e) => e.workflowTaskCompletedEventAttributes).length;
    histories.push({ workflowId: s.workflow_id, decision: s.decision, events: events.length, workflowTasks, bytes: JSON.stringify(history).length });
  }
  const of = (d: string, field: 'events' | 'workflowTasks' = 'events') => summarize(histories.filter((h) => h.decision === d).map((h) => h[field]));
  const approve = of('APPROVE');
  const approveTasks = of('APPROVE', 'workflowTasks');
  const flag = of('FLAG');
  ctx.details.footprint = { rowsMainspring: m, rowsPlain: p, histories, temporalDbBytes: deps.temporalDbBytes ?? null, sagasDecided: deps.events };
  const rows: ComparisonRow[] = [
    {
      section: 'resources',
      metric: 'PostgreSQL rows written per payment (throughput run)',
      mainspring: { value: perEvent(m), unit: 'count' },
      other: { name: 'plain kafkajs consumer', value: perEvent(p), unit: 'count' },
      ratio: { value: ratio(perEvent(m), perEvent(p)), label: 'durable ÷ plain' },
    },
    {
      section: 'resources',
      metric: 'Temporal history events per APPROVE saga (most of any fetched)',
      mainspring: { value: approve.n > 0 ? approve.max : null, unit: 'count', note: `${approve.n} sagas fetched, mean ${approve.n > 0 ? approve.mean.toFixed(1) : '—'}` },
      target: { text: '≤ 8', verdict: atMost(approve.n > 0 ? approve.max : null, 8) },
    },
    {
      section: 'resources',
      metric: 'workflow tasks per APPROVE saga (most of any fetched)',
      mainspring: { value: approveTasks.n > 0 ? approveTasks.max : null, unit: 'count', note: `${approveTasks.n} sagas fetched` },
      target: { text: '1', verdict: atMost(approveTasks.n > 0 ? approveTasks.max : null, 1) },
    },
    {
      section: 'resources',
      metric: 'Temporal history events per saga (FLAG, waiting for review)',
      mainspring: { value: flag.n > 0 ? flag.mean : null, unit: 'count', note: flag.n > 0 ? `${flag.n} sagas fetched` : 'no FLAG in the sample' },
    },
  ];
  ctx.rows.push(...rows);
}
