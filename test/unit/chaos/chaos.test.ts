import { checkInvariants, type ChaosObservations } from '../../../cli/chaos/invariants';
import { FAULT_KINDS, parseFaultKinds, planFaults, planStream } from '../../../cli/chaos/schedule';

describe('chaos plan', () => {
  it('is a pure function of the seed', () => {
    const options = { seed: 7, events: 600, kinds: FAULT_KINDS, perKind: 1 };
    expect(planFaults(options)).toEqual(planFaults(options));
    expect(planStream({ seed: 7, events: 600, poisonShare: 0.03 })).toEqual(planStream({ seed: 7, events: 600, poisonShare: 0.03 }));
    expect(planFaults({ ...options, seed: 8 })).not.toEqual(planFaults(options));
  });

  it('schedules every kind inside the stream, in trigger order, pause once', () => {
    const faults = planFaults({ seed: 11, events: 3000, kinds: FAULT_KINDS, perKind: 2 });
    expect(faults).toHaveLength(FAULT_KINDS.length * 2 - 3); // the three long faults run once
    expect(faults.filter((f) => f.kind === 'pause-temporal')).toHaveLength(1);
    expect(faults.filter((f) => f.kind === 'reject-notifications')).toHaveLength(1);
    expect(new Set(faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    const at = faults.map((f) => f.atEvent);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(Math.min(...at)).toBeGreaterThanOrEqual(150);
    expect(Math.max(...at)).toBeLessThan(2700);
  });

  it('mixes poison, bursts and labels into the stream', () => {
    const plan = planStream({ seed: 3, events: 3000, poisonShare: 0.03 });
    const poison = plan.filter((p) => p.kind !== 'valid').length;
    expect(poison).toBeGreaterThan(40);
    expect(poison).toBeLessThan(150);
    expect(plan.some((p) => p.burstOf !== undefined)).toBe(true);
    expect(plan.some((p) => p.labeled)).toBe(true);
    expect(plan.map((p) => p.index)).toEqual(plan.map((_, i) => i));
  });

  it('refuses an unknown fault kind', () => {
    expect(parseFaultKinds('worker,kafka')).toEqual(['worker', 'kafka']);
    expect(() => parseFaultKinds('worker,disk')).toThrow(/disk/);
  });
});

/** Two valid events and one poison event, everything handled exactly once. */
function clean(): ChaosObservations {
  return {
    valid: [
      { index: 0, eventId: 'e0', paymentId: 'p0' },
      { index: 2, eventId: 'e2', paymentId: 'p2' },
    ],
    poison: [{ index: 1, kind: 'not-json' }],
    source: [
      { partition: 0, offset: '0', index: 0 },
      { partition: 0, offset: '1', index: 1 },
      { partition: 0, offset: '2', index: 2 },
    ],
    workflows: [
      { workflowId: 'payment-e0', runId: 'r0', paymentId: 'p0', startTimeMs: 1000, status: 'COMPLETED' },
      { workflowId: 'payment-e2', runId: 'r2', paymentId: 'p2', startTimeMs: 1200, status: 'RUNNING' },
    ],
    decisions: [
      { paymentId: 'p0', workflowId: 'payment-e0', compensations: [] },
      { paymentId: 'p2', workflowId: 'payment-e2', compensations: ['release-hold'] },
    ],
    holds: [{ paymentId: 'p2' }],
    notifications: [
      { paymentId: 'p2', kind: 'fraud-case' },
      { paymentId: 'p2', kind: 'case-withdrawn' },
    ],
    flagged: [{ paymentId: 'p2', eventId: 'f2' }],
    ledger: [
      { workflowId: 'payment-e2', step: 'release-hold', outcome: 'failed' },
      { workflowId: 'payment-e2', step: 'release-hold', outcome: 'succeeded' },
    ],
    dlq: [{ partition: 0, offset: '0', originPartition: 0, originOffset: '1', code: 'NOT_JSON' }],
    commitSamples: [
      { atMs: 1100, committed: { 0: '1' }, dlqHigh: { 0: '0' } },
      { atMs: 1300, committed: { 0: '3' }, dlqHigh: { 0: '1' } },
    ],
    learning: { phase: 'idle', cycleRunning: false, labelsTotal: 1, queued: 0, expectedLabels: 1, storedLabels: 1 },
  };
}

const failed = (o: ChaosObservations) => checkInvariants(o).checks.filter((c) => !c.ok).map((c) => c.name);

describe('chaos invariants', () => {
  it('pass on a clean run', () => {
    const report = checkInvariants(clean());
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report).toMatchObject({ ok: true, lost: 0, duplicates: 0, dlqd: 1 });
  });

  it('fail on a second payments.scored record of a payment, even a copy with the same event id (the outbox publishes once)', () => {
    const o = clean();
    o.scored = [
      { paymentId: 'p0', eventId: 's0', where: '0/0' },
      { paymentId: 'p2', eventId: 's2', where: '1/0' },
    ];
    expect(failed(o)).toEqual([]);
    o.scored.push({ paymentId: 'p2', eventId: 's2', where: '1/1' });
    const report = checkInvariants(o);
    expect(failed(o)).toEqual(['payments.scored: exactly one record per payment']);
    expect(report.duplicates).toBe(1);
    expect(report.checks.find((c) => !c.ok)?.detail).toContain('p2 ×2 at 1/0 1/1');
  });

  it('count a valid event without a workflow or decision as lost', () => {
    const o = clean();
    o.workflows = o.workflows.filter((w) => w.workflowId !== 'payment-e2');
    o.decisions = o.decisions.filter((d) => d.paymentId !== 'p2');
    o.ledger = [];
    const report = checkInvariants(o);
    expect(report.lost).toBe(1);
    expect(failed(o)).toEqual(expect.arrayContaining(['every valid event has a workflow', 'every valid event has a decision record']));
  });

  it('count a poison event missing from the DLQ as lost', () => {
    const o = clean();
    o.dlq = [];
    expect(checkInvariants(o).lost).toBe(1);
    expect(failed(o)).toContain('every poison event is in the DLQ');
  });

  it('flag duplicates: a second hold, notification, flagged message, run or compensation', () => {
    const cases: Array<[string, (o: ChaosObservations) => void]> = [
      ['no payment has two holds', (o) => o.holds.push({ paymentId: 'p2' })],
      ['no payment has two notifications of a kind', (o) => o.notifications.push({ paymentId: 'p2', kind: 'fraud-case' })],
      ['no payment has two payments.flagged messages', (o) => o.flagged.push({ paymentId: 'p2', eventId: 'f2' })],
      ['no event or payment has two workflows', (o) => o.workflows.push({ workflowId: 'payment-e9', runId: 'r9', paymentId: 'p2', startTimeMs: 1250, status: 'RUNNING' })],
      ['every compensation ran exactly once', (o) => o.ledger.push({ workflowId: 'payment-e2', step: 'release-hold', outcome: 'succeeded' })],
    ];
    for (const [check, mutate] of cases) {
      const o = clean();
      mutate(o);
      const report = checkInvariants(o);
      expect(failed(o)).toEqual([check]);
      expect(report.duplicates).toBe(1);
      expect(report.lost).toBe(0);
    }
  });

  it('catch a commit past an event whose workflow started later', () => {
    const o = clean();
    o.workflows[1].startTimeMs = 1400; // committed offset 3 seen at 1300, the start came after
    expect(failed(o)).toEqual(['the bridge never committed past an unaccepted event']);
  });

  it('catch a commit past a poison event before its DLQ record', () => {
    const o = clean();
    o.commitSamples[0] = { atMs: 1100, committed: { 0: '2' }, dlqHigh: { 0: '0' } };
    o.workflows[0].startTimeMs = 1000;
    expect(failed(o)).toEqual(['the bridge never committed past an unaccepted event']);
  });

  it('catch a learning loop that counted a label twice', () => {
    const o = clean();
    o.learning = { ...o.learning!, labelsTotal: 2 };
    expect(failed(o)).toEqual(['learning loop consistent']);
  });

  it('catch a compensated saga that left its hold or its flag behind, and a compensation fault that tested nothing', () => {
    const compensatedRun = (): ChaosObservations => {
      const o = clean();
      o.decisions[1] = { ...o.decisions[1], status: 'compensated', compensations: ['release-hold', 'retract-flag'] };
      o.ledger.push({ workflowId: 'payment-e2', step: 'retract-flag', outcome: 'succeeded' });
      o.holds = [{ paymentId: 'p2', status: 'released' }];
      o.retracted = [{ paymentId: 'p2', eventId: 'r2' }];
      o.requireCompensation = true;
      return o;
    };
    const undone = 'compensated sagas released their hold and retracted their flag';
    expect(failed(compensatedRun())).toEqual([]);
    expect(checkInvariants(compensatedRun()).checks.find((c) => c.name === undone)?.detail).toBe('1 compensated saga(s)');

    const stillHeld = compensatedRun();
    stillHeld.holds = [{ paymentId: 'p2', status: 'held' }];
    expect(failed(stillHeld)).toEqual([undone]);

    const notRetracted = compensatedRun();
    notRetracted.retracted = [];
    expect(failed(notRetracted)).toEqual([undone]);

    const retractedTwice = compensatedRun();
    retractedTwice.retracted = [{ paymentId: 'p2', eventId: 'r2' }, { paymentId: 'p2', eventId: 'r2' }];
    expect(failed(retractedTwice)).toEqual([undone]);
    expect(checkInvariants(retractedTwice).duplicates).toBe(1);

    const nothingCompensated = clean();
    nothingCompensated.requireCompensation = true;
    expect(failed(nothingCompensated)).toEqual([undone]);
  });

  it('catch a worker or bridge that exited on its own (a crash the restart would hide)', () => {
    const o = clean();
    o.unexpectedExits = { worker: 0, bridge: 0 };
    expect(failed(o)).toEqual([]);
    o.unexpectedExits = { worker: 1, bridge: 0 };
    expect(failed(o)).toEqual(['no process exited on its own']);
    expect(checkInvariants(o).checks.find((c) => c.name === 'no process exited on its own')?.detail).toContain('worker exited on its own ×1');
  });
});
