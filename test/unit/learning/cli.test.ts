import { Command } from 'commander';
import { formatStatus, registerLearningCommands } from '../../../cli/commands/learning';
import { resolveLearningConfig } from '../../../workflows/learning/config';
import type { LearningLoopStatus } from '../../../workflows/learning/types';

// Flag validation happens before any connection is made, so these run without a server.
async function run(args: string[]): Promise<void> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
  registerLearningCommands(program);
  await program.parseAsync(args, { from: 'user' });
}

describe('learning CLI', () => {
  const saved = { approver: process.env.MAINSPRING_APPROVER, user: process.env.MAINSPRING_USER };
  beforeEach(() => {
    delete process.env.MAINSPRING_APPROVER;
    delete process.env.MAINSPRING_USER;
  });
  afterAll(() => {
    if (saved.approver !== undefined) process.env.MAINSPRING_APPROVER = saved.approver;
    if (saved.user !== undefined) process.env.MAINSPRING_USER = saved.user;
  });

  it('refuses a decision without an identity', async () => {
    await expect(run(['approve', 'fraud', '--version', 'fraud-v4'])).rejects.toThrow('Approval needs an identity: pass --approver <id> (or set MAINSPRING_APPROVER)');
    await expect(run(['reject', 'fraud', '--version', 'fraud-v4', '--approver', '   '])).rejects.toThrow(/^Rejection needs an identity/);
  });

  it('validates the model, the version and the reason before connecting', async () => {
    await expect(run(['approve', 'Fraud!', '--version', 'fraud-v4', '--approver', 'a'])).rejects.toThrow(/<model>: must be 1-63 chars/);
    await expect(run(['approve', 'fraud', '--version', 'fraud v4', '--approver', 'a'])).rejects.toThrow(/--version: must be printable ASCII/);
    await expect(run(['approve', 'fraud', '--version', 'fraud-v4', '--approver', 'a', '--reason', 'x'.repeat(501)])).rejects.toThrow(/--reason: must be at most 500/);
    await expect(run(['approve', 'fraud', '--approver', 'a'])).rejects.toThrow(/required option '--version <version>'/);
    await expect(run(['learning', 'configure', 'fraud', '--changed-by', 'admin'])).rejects.toThrow('nothing to change: pass --approvers and/or --config');
    await expect(run(['learning', 'configure', 'fraud', '--changed-by', 'admin', '--config', '{oops'])).rejects.toThrow(/--config is not valid JSON/);
  });

  it('prints a status a person can act on', () => {
    const config = resolveLearningConfig({ approval: { approvers: ['alice@example.com'] } }).config;
    const status: LearningLoopStatus = {
      modelName: 'fraud',
      workflowId: 'learning-fraud',
      runId: 'r',
      phase: 'awaiting-approval',
      config,
      champion: { version: 'fraud-v3', trainedAt: '2025-03-01T00:00:00.000Z', hasReference: true },
      labels: { total: 1200, atLastTraining: 1100, updated: 3, duplicates: 7, sinceLastTraining: 100, queued: 0 },
      cooldownUntil: null,
      scheduleDueAt: '2025-03-08T00:00:00.000Z',
      nextDriftCheckAt: '2025-03-05T01:00:00.000Z',
      lastDriftCheckAt: null,
      lastDrift: null,
      pending: { manual: null, drift: null },
      lastTrigger: { id: 't', kind: 'volume', reason: '1000 new labels', at: '2025-03-05T00:00:00.000Z', outcome: 'started' },
      cycle: null,
      awaitingApproval: { requestId: 'q', version: 'fraud-v4', deadline: '2025-03-06T00:00:00.000Z', approvers: ['alice@example.com'] },
      history: [],
      triggers: [],
      refused: [],
      runs: 1,
      cyclesThisRun: 0,
      historyLength: 10,
    };
    const text = formatStatus(status);
    expect(text).toContain('model fraud · phase awaiting-approval · champion fraud-v3');
    expect(text).toContain('AWAITING APPROVAL: fraud-v4 until 2025-03-06T00:00:00.000Z; approvers: alice@example.com');
    expect(text).toContain('mainspring approve fraud --version fraud-v4 --approver <you>');
  });
});
