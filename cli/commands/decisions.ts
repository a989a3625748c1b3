import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { eq } from 'drizzle-orm';
import { resolveReviewUpdate, statusQuery, type ReviewVerdict } from '../../workflows/payment-saga/payment-saga.messages';
import { loadConfig } from '../../src/config/env';
import { createDb } from '../../src/db/client';
import { compensationLedger, decision } from '../../src/db/schema';
import { connectTemporal } from '../../src/temporal/client';
import { CliUsageError } from '../output';

async function findDecision(paymentId: string) {
  const config = loadConfig();
  const handle = createDb(config.database.url);
  try {
    const [row] = await handle.db.select().from(decision).where(eq(decision.paymentId, paymentId));
    if (!row) throw new CliUsageError(`no decision recorded for payment "${paymentId}" (is its saga still enriching? see the Temporal UI, search PaymentId = "${paymentId}")`);
    const ledger = await handle.db.select().from(compensationLedger).where(eq(compensationLedger.workflowId, row.workflowId));
    return { config, row, ledger };
  } finally {
    await handle.close();
  }
}

const VERDICTS: readonly ReviewVerdict[] = ['fraud', 'legit'];

export function registerDecisionCommands(program: Command): void {
  program
    .command('decisions')
    .description('decision records of payments')
    .command('show')
    .description('the decision record of one payment (+ the saga\'s live status while it runs)')
    .argument('<paymentId>')
    .action(async (paymentId: string) => {
      const { config, row, ledger } = await findDecision(paymentId);
      const { client, connection } = await connectTemporal(config.temporal);
      try {
        const status = await client.workflow.getHandle(row.workflowId).query(statusQuery).catch(() => undefined);
        console.log(JSON.stringify({ decision: row, compensationLedger: ledger, liveStatus: status }, null, 2));
      } finally {
        await connection.close();
      }
    });

  program
    .command('review')
    .description('give the fraud team\'s verdict on a flagged payment (legit releases the hold and undoes every effect)')
    .argument('<paymentId>')
    .requiredOption('--verdict <verdict>', `one of ${VERDICTS.join(', ')}`)
    .option('--reviewer <id>', 'who decides (recorded)')
    .option('--note <text>', 'why')
    .action(async (paymentId: string, options: { verdict: string; reviewer?: string; note?: string }) => {
      if (!VERDICTS.includes(options.verdict as ReviewVerdict)) throw new CliUsageError(`--verdict must be one of ${VERDICTS.join(', ')}; got "${options.verdict}"`);
      if (!options.reviewer?.trim()) throw new CliUsageError('--reviewer <id> is required: every verdict is recorded with who gave it');
      const { config, row } = await findDecision(paymentId);
      if (row.status !== 'in-review') throw new CliUsageError(`payment ${paymentId} is not awaiting review: its decision is ${row.decision}, status ${row.status}`);
      const { client, connection } = await connectTemporal(config.temporal);
      try {
        const status = await client.workflow
          .getHandle(row.workflowId)
          .executeUpdate(resolveReviewUpdate, { args: [{ verdict: options.verdict as ReviewVerdict, reviewer: options.reviewer.trim(), note: options.note }] });
        console.log(`payment ${paymentId}: verdict ${options.verdict} carried out → ${JSON.stringify(status)}`);
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          const cause = err.cause as { message?: string; details?: Array<{ code?: string }> } | undefined;
          throw new CliUsageError(`review refused (${cause?.details?.[0]?.code ?? 'REJECTED'}): ${cause?.message ?? err.message}`);
        }
        throw err;
      } finally {
        await connection.close();
      }
    });
}
