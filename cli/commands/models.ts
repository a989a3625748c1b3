import type { Command } from 'commander';
import { loadConfig } from '../../src/config/env';
import { createDb, type DbHandle } from '../../src/db/client';
import { getAliasHistory, getAliases, getVersion, listVersions, promote, rollback } from '../../src/model/registry';
import { generateTrainingSet } from '../../src/model/synthetic';
import { trainAndRegister } from '../../src/model/training-pipeline';
import { CliUsageError, table } from '../output';
import { positiveInt } from '../options';

export const DEFAULT_MODEL_NAME = 'fraud';

async function withDb<T>(fn: (handle: DbHandle) => Promise<T>): Promise<T> {
  const handle = createDb(loadConfig().database.url);
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

function requireActor(actor: string | undefined): string {
  if (!actor || actor.trim() === '') throw new CliUsageError('--actor <name> is required: every alias move is recorded with who made it');
  if (actor.trim().length > 128) throw new CliUsageError('--actor must be at most 128 characters');
  return actor.trim();
}

/** A manual promotion skips the learning loop's approval: with an allow-list configured, only its members may. */
export function requireApprover(actor: string | undefined, approvers: readonly string[]): string {
  const who = requireActor(actor);
  if (approvers.length > 0 && !approvers.some((a) => a.toLowerCase() === who.toLowerCase())) {
    throw new CliUsageError(`${who} may not promote: not in MAINSPRING_APPROVERS (${approvers.join(', ')})`);
  }
  return who;
}

function boundedReason(reason: string): string {
  if (reason.length > 500) throw new CliUsageError('--reason must be at most 500 characters');
  return reason;
}

const pct = (v: number) => v.toFixed(4);

export function registerModelsCommands(program: Command): void {
  const models = program.command('models').description('the model registry: versions, aliases (champion, shadow, previous), training');

  models
    .command('list')
    .description('versions of a model, newest first, with their aliases and holdout metrics')
    .option('--model <name>', 'model name', DEFAULT_MODEL_NAME)
    .option('--json', 'machine-readable output')
    .action((options: { model: string; json?: boolean }) =>
      withDb(async ({ db }) => {
        const [versions, aliases] = await Promise.all([listVersions(db, options.model), getAliases(db, options.model)]);
        if (options.json) return void console.log(JSON.stringify({ aliases, versions }, null, 2));
        const aliasOf = (v: string) => (Object.entries(aliases) as Array<[string, string | null]>).filter(([, version]) => version === v).map(([a]) => a).join(',');
        console.log(
          table(
            versions.map((v) => ({
              version: v.version,
              aliases: aliasOf(v.version) || undefined,
              auc: pct(v.metrics.rocAuc),
              prAuc: pct(v.metrics.prAuc),
              'recall@0.85': pct(v.metrics.atDecisionThreshold.recall),
              rows: v.lineage.rowCount,
              source: v.lineage.source,
              created: v.createdAt.toISOString(),
            })),
          ),
        );
      }),
    );

  models
    .command('show')
    .description('one version: metrics, lineage, alias history')
    .argument('<version>', 'e.g. fraud-v3')
    .option('--model <name>', 'model name', DEFAULT_MODEL_NAME)
    .action((version: string, options: { model: string }) =>
      withDb(async ({ db }) => {
        const record = await getVersion(db, options.model, version);
        if (!record) throw new CliUsageError(`${options.model} has no version "${version}" (see \`mainspring models list\`)`);
        const { artifact, ...summary } = record;
        const history = (await getAliasHistory(db, options.model)).filter((h) => h.to === version || h.from === version);
        console.log(JSON.stringify({ ...summary, artifactBytes: artifact.byteLength, aliasHistory: history }, null, 2));
      }),
    );

  models
    .command('promote')
    .description('make a version the champion (previous := old champion); every worker serves it within seconds')
    .argument('<version>')
    .option('--model <name>', 'model name', DEFAULT_MODEL_NAME)
    .option('--actor <name>', 'who promotes (recorded)')
    .option('--reason <text>', 'why (recorded)', 'manual promotion')
    .action((version: string, options: { model: string; actor?: string; reason: string }) =>
      withDb(async ({ db }) => {
        const result = await promote(db, options.model, version, requireApprover(options.actor, loadConfig().approvers), boundedReason(options.reason));
        console.log(result.changed ? `champion of ${options.model} is now ${version}` : `${version} already is the champion`);
      }),
    );

  models
    .command('rollback')
    .description('swap the champion back to the previous version')
    .option('--model <name>', 'model name', DEFAULT_MODEL_NAME)
    .option('--actor <name>', 'who rolls back (recorded)')
    .option('--reason <text>', 'why (recorded)', 'manual rollback')
    .action((options: { model: string; actor?: string; reason: string }) =>
      withDb(async ({ db }) => {
        const result = await rollback(db, options.model, requireActor(options.actor), boundedReason(options.reason));
        console.log(`champion of ${options.model} is now ${result.aliases.champion}`);
      }),
    );

  models
    .command('train')
    .description('train on synthetic history, register the version (and promote it with --promote)')
    .option('--model <name>', 'model name', DEFAULT_MODEL_NAME)
    .option('--rows <n>', 'training rows', positiveInt('--rows', 5_000_000), 100_000)
    .option('--seed <n>', 'data and split seed', positiveInt('--seed'), 7)
    .option('--promote', 'make it the champion')
    .option('--actor <name>', 'who trains (recorded with --promote)', 'cli')
    .action((options: { model: string; rows: number; seed: number; promote?: boolean; actor: string }) =>
      withDb(async ({ db }) => {
        process.stderr.write(`generating ${options.rows} synthetic rows (seed ${options.seed})…\n`);
        const set = generateTrainingSet({ rows: options.rows, seed: options.seed });
        const result = await trainAndRegister(db, { X: set.X, y: set.y, eventTimeMs: set.eventTimeMs, labelTimeMs: set.labelTimeMs, source: `synthetic:seed=${options.seed}` }, { modelName: options.model, seed: options.seed });
        const m = result.holdoutMetrics;
        console.log(`registered ${result.version.version}: AUC ${pct(m.rocAuc)}, PR-AUC ${pct(m.prAuc)}, recall@0.85 ${pct(m.atDecisionThreshold.recall)} (trained in ${result.trainSeconds.toFixed(2)} s)`);
        if (options.promote) {
          await promote(db, options.model, result.version.version, options.actor, 'models train --promote');
          console.log(`champion of ${options.model} is now ${result.version.version}`);
        }
      }),
    );
}
