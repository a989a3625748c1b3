// Who may move a model, and that every move names who did it: checked in the CLI before anything connects.
// (The learning loop's own allow-list validator is covered by test/unit/learning/requests.test.ts and the
// approval workflow tests; these are the paths around it.)
import { Command } from 'commander';
import { registerDecisionCommands } from '../../../cli/commands/decisions';
import { registerLearningCommands } from '../../../cli/commands/learning';
import { registerModelsCommands, requireApprover } from '../../../cli/commands/models';
import { CliUsageError } from '../../../cli/output';

async function run(args: string[]): Promise<void> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
  registerModelsCommands(program);
  registerLearningCommands(program);
  registerDecisionCommands(program);
  await program.parseAsync(args, { from: 'user' });
}

describe('identity and authorization of model moves', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    delete process.env.MAINSPRING_APPROVER;
    delete process.env.MAINSPRING_APPROVERS;
    // An address nothing listens on: a check that ran after connecting would fail differently, not pass.
    process.env.DATABASE_URL = 'postgres://nobody:x@127.0.0.1:1/none';
  });
  afterAll(() => {
    process.env = saved;
  });

  it('refuses a promotion or rollback without an identity', async () => {
    await expect(run(['models', 'promote', 'fraud-v2'])).rejects.toThrow('--actor <name> is required: every alias move is recorded with who made it');
    await expect(run(['models', 'rollback', '--actor', '  '])).rejects.toThrow('--actor <name> is required');
    await expect(run(['approve', 'fraud', '--version', 'fraud-v2'])).rejects.toThrow(/^Approval needs an identity/);
    await expect(run(['reject', 'fraud', '--version', 'fraud-v2'])).rejects.toThrow(/^Rejection needs an identity/);
    await expect(run(['review', 'pay-1', '--verdict', 'legit'])).rejects.toThrow(/--reviewer <id> is required/);
  });

  it('a manual promotion is limited to MAINSPRING_APPROVERS when that list is set', async () => {
    process.env.MAINSPRING_APPROVERS = 'alice@example.com, bo';
    await expect(run(['models', 'promote', 'fraud-v2', '--actor', 'mallory'])).rejects.toThrow('mallory may not promote: not in MAINSPRING_APPROVERS (alice@example.com, bo)');
    expect(requireApprover(' Alice@Example.com ', ['alice@example.com', 'bo'])).toBe('Alice@Example.com');
    expect(() => requireApprover('mallory', ['alice@example.com'])).toThrow(CliUsageError);
    // No list configured: any named actor (the registry records who), as before.
    expect(requireApprover('ops', [])).toBe('ops');
  });

  it('bounds what is recorded', async () => {
    await expect(run(['models', 'rollback', '--actor', 'x'.repeat(129)])).rejects.toThrow('--actor must be at most 128 characters');
    await expect(run(['models', 'rollback', '--actor', 'ops', '--reason', 'r'.repeat(501)])).rejects.toThrow('--reason must be at most 500 characters');
  });
});
