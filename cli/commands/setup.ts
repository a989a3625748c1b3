import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadConfig } from '../../src/config/env';
import { SETUP_PARTS, setupCluster, type SetupPart } from '../../src/lifecycle/setup';
import { table } from '../output';

const partList = (value: string): SetupPart[] => {
  const parts = value.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = parts.filter((p) => !(SETUP_PARTS as readonly string[]).includes(p));
  if (parts.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`--only takes ${SETUP_PARTS.join(', ')} (comma-separated), got "${value}".`);
  return parts as SetupPart[];
};

/**
 * `mainspring setup`: prepares existing clusters (TEMPORAL_ADDRESS, KAFKA_BROKERS, DATABASE_URL) for mainspring —
 * namespace, search attributes, topics, migrations. Idempotent: run it on every deploy. `stack up` runs the same.
 */
export function registerSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('prepare the clusters: Temporal namespace + search attributes (operator API), Kafka topics (KAFKA_PARTITIONS, KAFKA_REPLICATION_FACTOR, KAFKA_MIN_INSYNC_REPLICAS), database migrations; idempotent')
    .option('--only <parts>', `comma-separated subset of ${SETUP_PARTS.join(',')}`, partList)
    .action(async (options: { only?: SetupPart[] }) => {
      const config = loadConfig();
      const steps = await setupCluster(config, { parts: options.only, progress: (line) => console.log(`  … ${line}`) });
      console.log(table(steps.map((s) => ({ part: s.part, what: s.what, outcome: s.outcome }))));
    });
}
