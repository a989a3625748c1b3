import { userInfo } from 'node:os';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Command } from 'commander';
import { z } from 'zod';
import { modelName as modelNameSchema, modelVersion as modelVersionSchema } from '../../schemas/primitives';
import { loadConfig } from '../../src/config/env';
import { connectTemporal } from '../../src/temporal/client';
import { TASK_QUEUES } from '../../src/temporal/task-queues';
import {
  approvePromotionUpdate,
  LEARNING_LOOP_WORKFLOW_TYPE,
  learningWorkflowId,
  rejectPromotionUpdate,
  requestRetrainUpdate,
  retrainSignal,
  statusQuery,
  updateConfigUpdate,
  type CycleRecord,
  type LearningLoopConfigInput,
  type LearningLoopStatus,
  type PromotionDecisionResult,
  type RetrainRequestResult,
} from '../../workflows/learning-loop/learning-loop.messages';
import { CliUsageError, table } from '../output';
import { commaList } from '../options';

// mainspring learning status|configure <model> · approve|reject <model> · retrain <model>
// Each talks to the model's learning loop (workflow `learning-<model>`): a query for the status, validated updates for
// decisions (a refusal comes back with its reason before anything is recorded).

const identity = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const reasonText = z.string().trim().min(1).max(500, 'must be at most 500 characters');

function parseOrExplain<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new CliUsageError(`${what}: ${r.error.issues.map((i) => i.message).join('; ')} (got ${JSON.stringify(value)})`);
  return r.data;
}

function parseModel(value: string): string {
  return parseOrExplain(modelNameSchema, value, '<model>');
}

/** Who is acting: the flag, else MAINSPRING_APPROVER / MAINSPRING_USER. Never guessed from the OS account. */
function actor(flag: string | undefined, what: string): string {
  const value = flag ?? process.env.MAINSPRING_APPROVER ?? process.env.MAINSPRING_USER;
  if (value === undefined || value.trim() === '') {
    throw new CliUsageError(`${what} needs an identity: pass --approver <id> (or set MAINSPRING_APPROVER); decisions are recorded with who made them.`);
  }
  return parseOrExplain(identity, value, '--approver');
}

async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { client, connection } = await connectTemporal(config.temporal);
  try {
    return await fn(client);
  } finally {
    await connection.close();
  }
}

/** Turns the loop's refusals and a missing loop into messages a person can act on. */
function explain(err: unknown, modelName: string): never {
  if (err instanceof WorkflowNotFoundError) {
    throw new CliUsageError(`no learning loop runs for model "${modelName}" (workflow ${learningWorkflowId(modelName)}); it starts with the first label, drift event or \`mainspring retrain ${modelName}\`.`);
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const code = (err.cause.details?.[0] as { code?: string } | undefined)?.code;
    throw new CliUsageError(`refused${code ? ` (${code})` : ''}: ${err.cause.message}`);
  }
  throw err;
}

export async function approveOrReject(
  client: Client,
  kind: 'approve' | 'reject',
  modelName: string,
  request: { version: string; approver: string; reason?: string },
): Promise<PromotionDecisionResult> {
  const handle = client.workflow.getHandle(learningWorkflowId(modelName));
  try {
    return await handle.executeUpdate(kind === 'approve' ? approvePromotionUpdate : rejectPromotionUpdate, { args: [request] });
  } catch (err) {
    explain(err, modelName);
  }
}

/** Asks the loop to retrain; starts the loop (with the request as its first signal) when it does not run yet. */
export async function requestRetrain(
  client: Client,
  modelName: string,
  request: { requestedBy: string; reason: string; force: boolean },
): Promise<RetrainRequestResult | { status: 'loop-started' }> {
  const workflowId = learningWorkflowId(modelName);
  try {
    return await client.workflow.getHandle(workflowId).executeUpdate(requestRetrainUpdate, { args: [request] });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) explain(err, modelName);
  }
  await client.workflow.signalWithStart(LEARNING_LOOP_WORKFLOW_TYPE, {
    workflowId,
    taskQueue: TASK_QUEUES.learning,
    args: [{ modelName }],
    signal: retrainSignal,
    signalArgs: [request],
  });
  return { status: 'loop-started' };
}

export async function learningStatus(client: Client, modelName: string): Promise<LearningLoopStatus> {
  try {
    return await client.workflow.getHandle(learningWorkflowId(modelName)).query(statusQuery);
  } catch (err) {
    explain(err, modelName);
  }
}

const fmt = (v: number | null | undefined, digits = 4): string => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));
const signed = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(4)}`);

function describeCycle(c: CycleRecord): string[] {
  const lines = [`cycle ${c.number} (${c.id}) — ${c.outcome ?? c.phase}; trigger ${c.trigger.kind}: ${c.trigger.reason}`];
  if (c.insufficientData) lines.push(`  data: ${c.insufficientData.rows} rows / ${c.insufficientData.positives} fraud (need ${c.insufficientData.minRows} / ${c.insufficientData.minPositives})`);
  if (c.training) {
    lines.push(`  training: ${c.training.version} on ${c.training.rows} rows (${c.training.positives} fraud), dataset ${c.training.datasetHash.slice(0, 12)}…, holdout PR-AUC ${fmt(c.training.holdoutMetrics.prAuc)}`);
  }
  for (const [label, g] of [['gate', c.gate] as const, ...c.regates.map((r) => ['re-gate', r] as const)]) {
    if (!g) continue;
    lines.push(`  ${label}: ${g.passed ? 'passed' : 'FAILED'} on ${g.holdoutRows} holdout rows — ${g.reasons.join('; ')}`);
  }
  if (c.shadow) {
    const cmp = c.shadow.comparison;
    lines.push(
      `  shadow: ${c.shadow.version} beside ${c.shadow.championVersion} since ${c.shadow.startedAt}; ${cmp?.samples ?? 0} labelled pairs, ${c.shadow.metric} ${signed(c.shadow.improvement)}${
        c.shadow.verdict ? ` → ${c.shadow.verdict}` : ''
      }${c.shadow.endedBy ? ` (ended by ${c.shadow.endedBy})` : ''}`,
    );
  }
  for (const a of c.approvals) {
    lines.push(`  approval ${a.requestId.slice(0, 8)}: ${a.status}${a.decidedBy ? ` by ${a.decidedBy}` : ''}${a.reason ? ` — ${a.reason}` : ''} (deadline ${a.deadline})`);
  }
  if (c.promotion) lines.push(`  promoted: ${c.promotion.previousChampion ?? '(none)'} → ${c.promotion.version} by ${c.promotion.approver} at ${c.promotion.at}`);
  if (c.watch) lines.push(`  watch: vs ${c.watch.previousVersion}, ${c.watch.comparison?.samples ?? 0} pairs, ${c.watch.metric} ${signed(c.watch.improvement)}${c.watch.verdict ? ` → ${c.watch.verdict}` : ''}`);
  if (c.rollback) lines.push(`  ROLLED BACK: ${c.rollback.from} → ${c.rollback.to} — ${c.rollback.reason}`);
  if (c.error) lines.push(`  error: ${c.error}`);
  return lines;
}

export function formatStatus(s: LearningLoopStatus): string {
  const lines = [
    `model ${s.modelName} · phase ${s.phase} · champion ${s.champion ? `${s.champion.version} (trained ${s.champion.trainedAt})` : '(none)'}`,
    `labels: ${s.labels.total} stored, ${s.labels.sinceLastTraining} since the last training (threshold ${s.config.triggers.volumeLabels || 'off'}), ${s.labels.queued} queued, ${s.labels.duplicates} re-deliveries dropped`,
    `cooldown until ${s.cooldownUntil ?? '-'} · schedule due ${s.scheduleDueAt ?? 'off'} · next drift check ${s.nextDriftCheckAt ?? 'off'}`,
  ];
  if (s.lastDrift) lines.push(`last drift report ${s.lastDrift.reportId} (${s.lastDrift.source}): ${s.lastDrift.datasetDrift ? 'DRIFT' : 'no drift'}, share ${fmt(s.lastDrift.share, 2)}`);
  if (s.lastTrigger) lines.push(`last trigger: ${s.lastTrigger.kind} at ${s.lastTrigger.at} — ${s.lastTrigger.reason}`);
  if (s.pending.manual || s.pending.drift) lines.push(`pending: ${[s.pending.manual ? 'manual' : '', s.pending.drift ? 'drift' : ''].filter(Boolean).join(', ')}`);
  if (s.awaitingApproval) {
    lines.push(
      `AWAITING APPROVAL: ${s.awaitingApproval.version} until ${s.awaitingApproval.deadline}; approvers: ${s.awaitingApproval.approvers.join(', ') || '(none configured)'}`,
      `  mainspring approve ${s.modelName} --version ${s.awaitingApproval.version} --approver <you> --reason "…"`,
    );
  }
  if (s.cycle) lines.push('', ...describeCycle(s.cycle));
  if (s.cycleWorkflowId) lines.push(`cycle workflow: ${s.cycleWorkflowId} (its own history and Temporal UI page; decisions sent to the loop are forwarded to it)`);
  if (s.history.length > 0) {
    lines.push(
      '',
      table(
        s.history.map((c) => ({
          cycle: c.number,
          trigger: c.trigger.kind,
          outcome: c.outcome,
          candidate: c.candidate,
          started: c.startedAt,
          ended: c.endedAt,
          reason: (c.outcomeReason ?? '').slice(0, 70),
        })),
      ),
    );
  }
  if (s.refused.length > 0) lines.push('', `refused requests: ${s.refused.map((r) => `${r.kind} ${r.code} (${r.at})`).join('; ')}`);
  return lines.join('\n');
}

export function registerLearningCommands(program: Command): void {
  const learning = program.command('learning').description('the continual-learning loop of a model: status and settings');

  learning
    .command('status')
    .description('phase, triggers, current cycle (candidate, shadow metrics, approval deadline) and recent cycles')
    .argument('<model>', 'model name, e.g. fraud')
    .option('--json', 'the raw status as JSON')
    .action(async (model: string, options: { json?: boolean }) => {
      const modelName = parseModel(model);
      const s = await withClient((client) => learningStatus(client, modelName));
      console.log(options.json ? JSON.stringify(s, null, 2) : formatStatus(s));
    });

  learning
    .command('configure')
    .description('change the loop settings of a model (validated by the loop; recorded with who changed them)')
    .argument('<model>', 'model name')
    .requiredOption('--changed-by <id>', 'who makes the change')
    .option('--approvers <ids>', 'comma-separated allow-list of approvers (replaces the current one)', commaList)
    .option('--config <json>', 'partial configuration as JSON, e.g. \'{"triggers":{"volumeLabels":500}}\'')
    .action(async (model: string, options: { changedBy: string; approvers?: string[]; config?: string }) => {
      const modelName = parseModel(model);
      let config: LearningLoopConfigInput = {};
      if (options.config !== undefined) {
        let raw: unknown;
        try {
          raw = JSON.parse(options.config);
        } catch (err) {
          throw new CliUsageError(`--config is not valid JSON: ${(err as Error).message}`);
        }
        config = parseOrExplain(z.record(z.string(), z.unknown()), raw, '--config') as LearningLoopConfigInput;
      }
      if (options.approvers) config = { ...config, approval: { ...config.approval, approvers: options.approvers } };
      if (Object.keys(config).length === 0) throw new CliUsageError('nothing to change: pass --approvers and/or --config');
      const changedBy = parseOrExplain(identity, options.changedBy, '--changed-by');
      const result = await withClient(async (client) => {
        try {
          return await client.workflow.getHandle(learningWorkflowId(modelName)).executeUpdate(updateConfigUpdate, { args: [{ changedBy, config }] });
        } catch (err) {
          explain(err, modelName);
        }
      });
      console.log(JSON.stringify(result, null, 2));
    });

  for (const kind of ['approve', 'reject'] as const) {
    program
      .command(kind)
      .description(kind === 'approve' ? 'approve the candidate awaiting promotion (flips the champion alias)' : 'reject the candidate awaiting promotion')
      .argument('<model>', 'model name, e.g. fraud')
      .requiredOption('--version <version>', 'the candidate version awaiting approval (see `mainspring learning status <model>`)')
      .option('--approver <id>', 'who decides (must be in the model’s approvers); default $MAINSPRING_APPROVER')
      .option('--reason <text>', 'why, for the audit trail')
      .action(async (model: string, options: { version: string; approver?: string; reason?: string }) => {
        const modelName = parseModel(model);
        const version = parseOrExplain(modelVersionSchema, options.version, '--version');
        const approver = actor(options.approver, kind === 'approve' ? 'Approval' : 'Rejection');
        const reason = options.reason === undefined ? undefined : parseOrExplain(reasonText, options.reason, '--reason');
        const r = await withClient((client) => approveOrReject(client, kind, modelName, { version, approver, ...(reason ? { reason } : {}) }));
        if (r.decision === 'approved' && r.promotion) {
          console.log(`approved ${r.version} by ${r.decidedBy}: champion ${r.promotion.previousChampion ?? '(none)'} → ${r.version}${r.promotion.changed ? '' : ' (already so)'}`);
        } else if (r.decision === 'approved') {
          console.log(`approved ${r.version} by ${r.decidedBy}, but the promotion did not complete: see \`mainspring learning status ${modelName}\``);
          process.exitCode = 1;
        } else {
          console.log(`rejected ${r.version} by ${r.decidedBy}`);
        }
      });
  }

  program
    .command('retrain')
    .description('ask the learning loop of a model to retrain now (cooldown and one-cycle-at-a-time still apply)')
    .argument('<model>', 'model name, e.g. fraud')
    .option('--reason <text>', 'why, for the audit trail', 'manual retrain')
    .option('--requested-by <id>', 'who asks; default $MAINSPRING_USER, else cli:<login>')
    .option('--force', 'skip the cooldown (a running cycle still finishes first)')
    .action(async (model: string, options: { reason: string; requestedBy?: string; force?: boolean }) => {
      const modelName = parseModel(model);
      const requestedBy = parseOrExplain(identity, options.requestedBy ?? process.env.MAINSPRING_USER ?? `cli:${userInfo().username}`, '--requested-by');
      const reason = parseOrExplain(reasonText, options.reason, '--reason');
      const r = await withClient((client) => requestRetrain(client, modelName, { requestedBy, reason, force: options.force === true }));
      const messages: Record<string, string> = {
        starting: 'a retraining cycle starts now',
        'queued-cooldown': `queued: starts when the cooldown ends${'cooldownUntil' in r && r.cooldownUntil ? ` (${r.cooldownUntil})` : ''}; --force skips it`,
        'queued-cycle-running': 'queued: a cycle is running; this one starts after it',
        merged: 'joined a retrain request that is already pending',
        'loop-started': `started the learning loop of ${modelName} with this request`,
      };
      console.log(messages[r.status]);
    });
}
