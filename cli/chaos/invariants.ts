// The invariants of a chaos run, checked on plain data collected after the stream drained (Kafka topics read in
// full, Temporal visibility, tables). Pure, so the checker itself is unit-tested on hand-made data.

import { LEARNING_PHASES } from '../../workflows/learning/types';

export interface SourceRecord {
  partition: number;
  offset: string;
  /** `chaos-index` header: which planned event this record carries (a producer retry may write it twice). */
  index: number;
}

export interface ExpectedValid {
  index: number;
  eventId: string;
  paymentId: string;
}

export interface WorkflowRun {
  workflowId: string;
  runId: string;
  paymentId?: string;
  startTimeMs: number;
  status: string;
}

export interface DecisionRow {
  paymentId: string;
  workflowId: string;
  compensations: string[];
  /** approved, in-review, …, compensated (the saga undid its effects after a step failed for good) */
  status?: string;
}

export interface DlqRecordInfo {
  partition: number;
  offset: string;
  originPartition: number;
  originOffset: string;
  code?: string;
}

export interface CommitSample {
  atMs: number;
  /** committed offset (next to read) per partition of the consumed topic */
  committed: Record<number, string>;
  /** high watermark per partition of the DLQ topic, read after `committed` */
  dlqHigh: Record<number, string>;
}

export interface LearningObservation {
  phase: string;
  cycleRunning: boolean;
  labelsTotal: number;
  queued: number;
  /** distinct payments a label was produced for */
  expectedLabels: number;
  /** rows in the label table */
  storedLabels: number;
}

export interface ChaosObservations {
  valid: ExpectedValid[];
  poison: Array<{ index: number; kind: string }>;
  source: SourceRecord[];
  workflows: WorkflowRun[];
  decisions: DecisionRow[];
  holds: Array<{ paymentId: string; status?: string }>;
  notifications: Array<{ paymentId: string; kind: string }>;
  /** every payments.flagged record; `at` = its Kafka timestamp (when the producer created it) */
  flagged: Array<{ paymentId: string; eventId: string; at?: number; where?: string }>;
  /** payments.scored records (optional): published through the outbox, so exactly one per payment */
  scored?: Array<{ paymentId: string; eventId: string; where?: string }>;
  ledger: Array<{ workflowId: string; step: string; outcome: string }>;
  /** every payments.flag-retracted record (optional) */
  retracted?: Array<{ paymentId: string; eventId: string }>;
  /** A fault that must make sagas compensate ran (reject-notifications): none compensating means it tested nothing. */
  requireCompensation?: boolean;
  /** Exits of the worker and the bridge that no fault caused, by process (each was restarted by the harness). */
  unexpectedExits?: Record<string, number>;
  dlq: DlqRecordInfo[];
  commitSamples: CommitSample[];
  learning?: LearningObservation;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** reported, never fails the run */
  info?: boolean;
}

export interface InvariantReport {
  checks: CheckResult[];
  lost: number;
  duplicates: number;
  dlqd: number;
  ok: boolean;
}


function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

const over = (counts: Map<string, number>, limit = 1): Array<[string, number]> => [...counts].filter(([, n]) => n > limit);
const sample = (items: readonly string[], n = 5): string => (items.length === 0 ? '' : ` e.g. ${items.slice(0, n).join(', ')}${items.length > n ? ', …' : ''}`);

export function checkInvariants(o: ChaosObservations): InvariantReport {
  const checks: CheckResult[] = [];
  let lost = 0;
  let duplicates = 0;
  const add = (name: string, problems: string[], okDetail: string) => checks.push({ name, ok: problems.length === 0, detail: problems.length === 0 ? okDetail : `${problems.length} problem(s):${sample(problems)}` });

  // 1 every valid event: exactly one workflow run (by id and by PaymentId) and exactly one decision record.
  const runsById = countBy(o.workflows, (w) => w.workflowId);
  const runsByPayment = countBy(o.workflows.filter((w) => w.paymentId !== undefined), (w) => w.paymentId!);
  const decisionsByPayment = new Map(o.decisions.map((d) => [d.paymentId, d]));
  const decisionCount = countBy(o.decisions, (d) => d.paymentId);
  const statusOf = new Map(o.workflows.map((w) => [w.workflowId, w.status]));
  const noWorkflow: string[] = [];
  const noDecision: string[] = [];
  const twoWorkflows: string[] = [];
  const wrongDecision: string[] = [];
  const lostIndexes = new Set<number>();
  for (const v of o.valid) {
    const workflowId = `payment-${v.eventId}`;
    const runs = runsById.get(workflowId) ?? 0;
    if (runs === 0) {
      noWorkflow.push(`#${v.index} ${workflowId}`);
      lostIndexes.add(v.index);
    }
    if (runs > 1 || (runsByPayment.get(v.paymentId) ?? 0) > 1) twoWorkflows.push(`${v.paymentId} (${Math.max(runs, runsByPayment.get(v.paymentId) ?? 0)} runs)`);
    const d = decisionsByPayment.get(v.paymentId);
    if (!d) {
      noDecision.push(`${v.paymentId} (workflow ${statusOf.get(workflowId) ?? 'missing'})`);
      lostIndexes.add(v.index);
    } else if (d.workflowId !== workflowId) wrongDecision.push(`${v.paymentId} decided by ${d.workflowId}`);
    if ((decisionCount.get(v.paymentId) ?? 0) > 1) wrongDecision.push(`${v.paymentId} has ${decisionCount.get(v.paymentId)} decisions`);
  }
  lost += lostIndexes.size;
  duplicates += twoWorkflows.length + wrongDecision.length;
  add('every valid event has a workflow', noWorkflow, `${o.valid.length} of ${o.valid.length}`);
  add('every valid event has a decision record', noDecision, `${o.valid.length} of ${o.valid.length}`);
  add('no event or payment has two workflows', twoWorkflows, `${o.workflows.length} runs for ${o.valid.length} events`);
  add('exactly one decision, by the event\'s workflow', wrongDecision, `${o.decisions.length} decisions`);

  // 2 effects at most once per payment.
  const twoHolds = over(countBy(o.holds, (h) => h.paymentId)).map(([p, n]) => `${p} ×${n}`);
  const twoNotes = over(countBy(o.notifications, (n) => `${n.paymentId}/${n.kind}`)).map(([p, n]) => `${p} ×${n}`);
  const flagMessages = over(countBy(o.flagged, (f) => f.paymentId)).map(([p, n]) => {
    // What tells the causes apart: one id twice (a publish repeated) or two ids (the saga flagged twice), and when.
    const copies = o.flagged.filter((f) => f.paymentId === p);
    const ids = new Set(copies.map((c) => c.eventId)).size === 1 ? 'same event id' : 'distinct event ids';
    return `${p} ×${n} (${ids}; ${copies.map((c) => `${c.where ?? '?'}@${c.at === undefined ? '?' : new Date(c.at).toISOString()}`).join(' ')})`;
  });
  duplicates += twoHolds.length + twoNotes.length + flagMessages.length;
  add('no payment has two holds', twoHolds, `${o.holds.length} holds`);
  add('no payment has two notifications of a kind', twoNotes, `${o.notifications.length} notifications`);
  add('no payment has two payments.flagged messages', flagMessages, `${o.flagged.length} messages`);

  if (o.scored) {
    const copies = over(countBy(o.scored, (r) => r.paymentId));
    const distinct = over(countBy([...new Map(o.scored.map((r) => [`${r.paymentId}/${r.eventId}`, r])).values()], (r) => r.paymentId));
    // Effects go through the transactional outbox (src/kafka/outbox/): a repeated copy, even of one event id, is a failure.
    duplicates += copies.length;
    checks.push({
      name: 'payments.scored: exactly one record per payment',
      ok: copies.length === 0,
      detail:
        copies.length > 0
          ? `${copies.length} payment(s) with more than one record (${distinct.length} with distinct event ids):${sample(copies.map(([p, n]) => `${p} ×${n} at ${o.scored!.filter((r) => r.paymentId === p).map((r) => r.where ?? '?').join(' ')}`))}`
          : `${o.scored.length} records, one per payment`,
    });
  }

  // 3 every compensation ran (succeeded) exactly once, and the decision record lists exactly those.
  const succeeded = countBy(o.ledger.filter((l) => l.outcome === 'succeeded'), (l) => `${l.workflowId}/${l.step}`);
  const compensationProblems = over(succeeded).map(([k, n]) => `${k} succeeded ×${n}`);
  for (const d of o.decisions) {
    for (const step of d.compensations) if (!succeeded.has(`${d.workflowId}/${step}`)) compensationProblems.push(`${d.workflowId}/${step} recorded but not in the ledger`);
  }
  duplicates += over(succeeded).length;
  add('every compensation ran exactly once', compensationProblems, `${[...succeeded.keys()].length} compensations`);

  // 3b a compensated saga left nothing behind: its hold released, its payments.flagged retracted exactly once.
  const compensated = o.decisions.filter((d) => d.status === 'compensated');
  const holdStatus = new Map(o.holds.map((h) => [h.paymentId, h.status]));
  const retractions = countBy(o.retracted ?? [], (r) => r.paymentId);
  const undoProblems: string[] = [];
  for (const d of compensated) {
    if (d.compensations.includes('release-hold') && holdStatus.get(d.paymentId) !== 'released') undoProblems.push(`${d.paymentId}: hold ${holdStatus.get(d.paymentId) ?? 'missing'}`);
    if (o.retracted && d.compensations.includes('retract-flag') && retractions.get(d.paymentId) !== 1) undoProblems.push(`${d.paymentId}: ${retractions.get(d.paymentId) ?? 0} flag retractions`);
  }
  duplicates += [...retractions.values()].filter((n) => n > 1).length;
  if (o.requireCompensation && compensated.length === 0) undoProblems.push('the reject-notifications fault made no saga compensate (nothing was tested)');
  add('compensated sagas released their hold and retracted their flag', undoProblems, `${compensated.length} compensated saga(s)`);

  // 3c faults are survived, not crashed on: a process that exits on its own is a robustness bug even when the
  // harness's restart hides it from the other checks.
  if (o.unexpectedExits) {
    const crashed = Object.entries(o.unexpectedExits).filter(([, n]) => n > 0).map(([name, n]) => `${name} exited on its own ×${n}`);
    add('no process exited on its own', crashed, Object.keys(o.unexpectedExits).join(', '));
  }

  // 4 every poison record is in the DLQ with its reason; no valid record is.
  const dlqByOrigin = new Map<string, DlqRecordInfo[]>();
  for (const r of o.dlq) dlqByOrigin.set(`${r.originPartition}/${r.originOffset}`, [...(dlqByOrigin.get(`${r.originPartition}/${r.originOffset}`) ?? []), r]);
  const poisonIndexes = new Set(o.poison.map((p) => p.index));
  const validIndexes = new Set(o.valid.map((v) => v.index));
  const poisonMissing: string[] = [];
  const dlqProblems: string[] = [];
  const poisonSeen = new Set<number>();
  for (const r of o.source) {
    const letters = dlqByOrigin.get(`${r.partition}/${r.offset}`) ?? [];
    if (poisonIndexes.has(r.index)) {
      poisonSeen.add(r.index);
      if (letters.length === 0) poisonMissing.push(`#${r.index} at ${r.partition}/${r.offset}`);
      else if (!letters.some((l) => l.code)) dlqProblems.push(`#${r.index} has no reason header`);
    } else if (validIndexes.has(r.index) && letters.length > 0) dlqProblems.push(`valid #${r.index} dead-lettered (${letters[0].code ?? '?'})`);
  }
  for (const p of o.poison) if (!poisonSeen.has(p.index)) poisonMissing.push(`#${p.index} (${p.kind}) never reached the topic`);
  const validInSource = new Set(o.source.map((s) => s.index));
  for (const v of o.valid) if (!validInSource.has(v.index)) dlqProblems.push(`valid #${v.index} never reached the topic`);
  lost += poisonMissing.length + dlqProblems.filter((p) => p.startsWith('valid')).length;
  add('every poison event is in the DLQ', poisonMissing, `${poisonSeen.size} poison events, ${o.dlq.length} DLQ records`);
  add('DLQ records carry a reason; no valid event dead-lettered', dlqProblems, 'ok');

  // 5 the bridge never committed past an event it had not handed off (started or dead-lettered) at that moment.
  const startOf = new Map(o.workflows.map((w) => [w.workflowId, w.startTimeMs]));
  const eventIdOf = new Map(o.valid.map((v) => [v.index, v.eventId]));
  const samples = [...o.commitSamples].sort((a, b) => a.atMs - b.atMs);
  const commitProblems: string[] = [];
  for (const r of o.source) {
    const offset = BigInt(r.offset);
    const first = samples.find((s) => s.committed[r.partition] !== undefined && BigInt(s.committed[r.partition]) > offset);
    if (!first) continue;
    const eventId = eventIdOf.get(r.index);
    if (eventId !== undefined) {
      const started = startOf.get(`payment-${eventId}`);
      if (started === undefined || started > first.atMs) commitProblems.push(`${r.partition}/${r.offset} committed at ${new Date(first.atMs).toISOString()} but started ${started === undefined ? 'never' : new Date(started).toISOString()}`);
    } else if (poisonIndexes.has(r.index)) {
      const letters = dlqByOrigin.get(`${r.partition}/${r.offset}`) ?? [];
      const before = letters.some((l) => first.dlqHigh[l.partition] !== undefined && BigInt(l.offset) < BigInt(first.dlqHigh[l.partition]));
      if (!before) commitProblems.push(`${r.partition}/${r.offset} committed at ${new Date(first.atMs).toISOString()} before its DLQ record`);
    }
  }
  add('the bridge never committed past an unaccepted event', commitProblems, `${samples.length} samples of committed offsets`);

  // 6 the learning loop answers its status query and is in a consistent phase with every label counted once.
  if (o.learning) {
    const l = o.learning;
    const problems: string[] = [];
    if (!(LEARNING_PHASES as readonly string[]).includes(l.phase)) problems.push(`unknown phase ${l.phase}`);
    if ((l.phase === 'idle') === l.cycleRunning) problems.push(`phase ${l.phase} but cycle ${l.cycleRunning ? 'running' : 'not running'}`);
    if (l.queued !== 0) problems.push(`${l.queued} labels still queued`);
    if (l.storedLabels !== l.expectedLabels) problems.push(`${l.storedLabels} labels stored, ${l.expectedLabels} produced`);
    if (l.labelsTotal !== l.expectedLabels) problems.push(`loop counted ${l.labelsTotal} new labels, ${l.expectedLabels} produced`);
    add('learning loop consistent', problems, `phase ${l.phase}, ${l.labelsTotal} labels counted once`);
  }

  return { checks, lost, duplicates, dlqd: new Set(o.dlq.map((d) => `${d.originPartition}/${d.originOffset}`)).size, ok: checks.every((c) => c.ok) };
}
