// mainspring replay --topic … --from … --to … --model <version> [--partition P] [--wait]
// mainspring replay --rebuild features --spec-version V [--from … --to …]
// mainspring replay show <id>
// Starts (or attaches to) a durable replay job, workflow `replayJob` on the learning task queue; the worker runs it.
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { InvalidArgumentError, type Command } from 'commander';
import { loadReplayReport } from '../../src/replay/store';
import { loadConfig } from '../../src/config/env';
import { createDb } from '../../src/db/client';
import { TOPICS } from '../../src/kafka/topics';
import { formatReport, progressLine } from '../../src/replay/format';
import { parseBound, replayIdFor, ReplayUsageError } from '../../src/replay/ids';
import { connectTemporal } from '../../src/temporal/client';
import { TASK_QUEUES } from '../../src/temporal/task-queues';
import { progressQuery, REPLAY_JOB_WORKFLOW_TYPE, type ReplayJobParams, type ReplayJobResult, type ReplayProgress } from '../../workflows/replay-job/replay-job.messages';
import { checkReplayParams, replaySummary } from '../../workflows/replay-job/params';
import type { replayJob } from '../../workflows';
import { CliUsageError } from '../output';
import { positiveInt } from '../options';

export interface ReplayCliOptions {
  topic: string;
  from?: string;
  to?: string;
  model?: string;
  modelName: string;
  partition?: number;
  threshold?: number;
  chunkSize?: number;
  id?: string;
  rebuild?: string;
  specVersion?: string;
  wait?: boolean;
  json?: boolean;
}

/** The job's parameters from the command line, checked like the workflow checks them. */
export function replayParams(o: ReplayCliOptions): ReplayJobParams {
  try {
    const rebuild = o.rebuild !== undefined;
    if (rebuild && o.rebuild !== 'features') throw new ReplayUsageError(`--rebuild takes "features", got "${o.rebuild}"`);
    if (rebuild && !o.specVersion) throw new ReplayUsageError('--rebuild features needs --spec-version <version> (e.g. pf-v1)');
    if (!rebuild && !o.model) throw new ReplayUsageError('--model <version> is required (the registered model version to replay)');
    if (!rebuild && (!o.from || !o.to)) throw new ReplayUsageError('--from and --to are required: an offset or an ISO-8601 time each');
    const base = {
      kind: rebuild ? ('rebuild-features' as const) : ('score' as const),
      topic: o.topic,
      ...(o.from ? { from: parseBound(o.from, '--from') } : {}),
      ...(o.to ? { to: parseBound(o.to, '--to') } : {}),
      ...(o.partition !== undefined ? { partition: o.partition } : {}),
      ...(rebuild ? { featureSpecVersion: o.specVersion } : { modelName: o.modelName, modelVersion: o.model, ...(o.threshold !== undefined ? { threshold: o.threshold } : {}) }),
    };
    const params: ReplayJobParams = { ...base, replayId: o.id ?? replayIdFor(base), ...(o.chunkSize ? { chunkSize: o.chunkSize } : {}) };
    const problems = checkReplayParams(params);
    if (problems.length > 0) throw new ReplayUsageError(problems.join('; '));
    return params;
  } catch (err) {
    if (err instanceof ReplayUsageError) throw new CliUsageError(err.message);
    throw err;
  }
}

/**
 * Starts the job, or attaches to the one with the same id: running → follow it; completed → its result. A failed or
 * terminated job with that id is started again (it resumes nothing: its rows are upserts, the new run overwrites them).
 */
export async function startOrAttachReplay(
  client: Client,
  params: ReplayJobParams,
  options: { taskQueue?: string } = {},
): Promise<{ handle: WorkflowHandle<typeof replayJob>; attached: boolean }> {
  try {
    const handle = await client.workflow.start<typeof replayJob>(REPLAY_JOB_WORKFLOW_TYPE, {
      workflowId: params.replayId,
      taskQueue: options.taskQueue ?? TASK_QUEUES.learning,
      args: [{ params }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      staticSummary: replaySummary(params),
      staticDetails: [
        `**replay id** ${params.replayId}`,
        `**kind** ${params.kind}`,
        `**topic** ${params.topic}${params.partition === undefined ? '' : ` partition ${params.partition}`}`,
        `**from** ${params.from ? JSON.stringify(params.from) : 'earliest'} **to** ${params.to ? JSON.stringify(params.to) : 'end at planning'}`,
        params.kind === 'score' ? `**model** ${params.modelName}@${params.modelVersion} (never acts: no holds, notifications or events)` : `**feature spec** ${params.featureSpecVersion}`,
        'Query `progress` for the checkpoint of every partition; `mainspring replay show <id>` prints the stored report.',
      ].join('\n\n'),
    });
    return { handle, attached: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { handle: client.workflow.getHandle<typeof replayJob>(params.replayId), attached: true };
  }
}

/**
 * Waits for the job's result while showing its progress: a bar redrawn in place on a terminal, plain lines (only
 * when something changed) otherwise or with CI=true.
 */
export async function followReplay(
  handle: WorkflowHandle<typeof replayJob>,
  out: { write(s: string): unknown; isTTY?: boolean } = process.stdout,
  intervalMs = 1000,
): Promise<ReplayJobResult> {
  const interactive = Boolean(out.isTTY) && process.env.CI !== 'true';
  let settled = false;
  const result = handle.result().finally(() => {
    settled = true;
  });
  let lastLine = '';
  let lastPrinted = 0;
  const poll = async (): Promise<void> => {
    while (!settled) {
      const p = await handle.query(progressQuery).catch(() => undefined as ReplayProgress | undefined);
      if (p && !settled) {
        const line = progressLine(p);
        if (interactive) out.write(`\r${line}`);
        else if (line !== lastLine && Date.now() - lastPrinted >= 5 * intervalMs) {
          out.write(`${line}\n`);
          lastPrinted = Date.now();
        }
        lastLine = line;
      }
      await Promise.race([result.then(() => undefined, () => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
    }
  };
  const polling = poll();
  try {
    return await result;
  } finally {
    await polling;
    if (interactive && lastLine) out.write('\n');
  }
}

function replayOption<T>(name: string, parse: (v: string) => T) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError(`${name}: ${(err as Error).message}`);
    }
  };
}

const unitInterval = replayOption('--threshold', (v) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`a number in [0, 1], got "${v}"`);
  return n;
});

const partitionNumber = replayOption('--partition', (v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`a partition number ≥ 0, got "${v}"`);
  return n;
});

export function registerReplayCommands(program: Command): void {
  const replay = program
    .command('replay')
    .description('replay historical events through a model version without acting (durable job), or rebuild the feature log')
    .option('--topic <topic>', 'topic to replay', TOPICS.paymentsInitiated)
    .option('--from <offset|time>', 'start, inclusive: an offset (every partition) or an ISO-8601 time')
    .option('--to <offset|time>', 'end, exclusive: an offset or an ISO-8601 time')
    .option('--model <version>', 'registered model version to score with')
    .option('--model-name <name>', 'model name', 'fraud')
    .option('--partition <n>', 'only this partition', partitionNumber)
    .option('--threshold <x>', 'decision threshold (default the saga\'s, 0.85)', unitInterval)
    .option('--chunk-size <n>', 'events per chunk (checkpoint granularity)', positiveInt('--chunk-size', 100_000))
    .option('--id <replayId>', 'job id (default: derived from the parameters, so the same command attaches to the same job)')
    .option('--rebuild <what>', 'rebuild instead of scoring: "features" rebuilds the feature log for --spec-version')
    .option('--spec-version <version>', 'feature spec version to rebuild (e.g. pf-v1)')
    .option('--wait', 'follow the job with a progress bar and print its report')
    .option('--json', 'print the report as JSON (with --wait)')
    .action(async (options: ReplayCliOptions) => {
      const params = replayParams(options);
      const config = loadConfig();
      const { client, connection } = await connectTemporal(config.temporal);
      try {
        const { handle, attached } = await startOrAttachReplay(client, params);
        console.log(`${attached ? 'attached to' : 'started'} replay job ${params.replayId} (${replaySummary(params)})`);
        if (!options.wait) {
          console.log(`follow it: npx mainspring replay ${process.argv.slice(3).join(' ')} --wait · report: npx mainspring replay show ${params.replayId}`);
          return;
        }
        const { report } = await followReplay(handle);
        console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
      } finally {
        await connection.close();
      }
    });

  replay
    .command('show <id>')
    .description('print the stored report of a replay job (or its progress while it runs)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, options: { json?: boolean }) => {
      const config = loadConfig();
      const handle = createDb(config.database.url, { max: 1 });
      try {
        const report = await loadReplayReport(handle.db, id);
        if (report) return void console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
      } finally {
        await handle.close();
      }
      const { client, connection } = await connectTemporal(config.temporal);
      try {
        const progress = await client.workflow.getHandle(id).query(progressQuery);
        console.log(options.json ? JSON.stringify(progress, null, 2) : `${id} has no report yet: ${progressLine(progress)}`);
      } catch {
        throw new CliUsageError(`no replay job or report named ${id}`);
      } finally {
        await connection.close();
      }
    });
}
