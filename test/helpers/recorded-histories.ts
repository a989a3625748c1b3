// Recorded workflow histories as test fixtures: binary protobuf, exactly as the server returned it (the SDK's JSON
// helpers trip over jest's module sandbox). Fixtures are never rewritten: a new workflow shape gets new files.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const { History } = temporal.api.history.v1;

export const historyFixtureDir = (workflow: string): string => join(__dirname, '..', 'fixtures', 'histories', workflow);

/** Every `<name>.history.pb` of the folder, by name. */
export function readHistoryFixtures(dir: string): Array<{ name: string; history: temporal.api.history.v1.History }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.history.pb'))
    .sort()
    .map((f) => ({ name: f.replace(/\.history\.pb$/, ''), history: History.decode(readFileSync(join(dir, f))) }));
}

/** Writes one recorded history; refuses to overwrite an existing fixture. */
export function writeHistoryFixture(dir: string, name: string, history: unknown): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.history.pb`);
  if (existsSync(file)) throw new Error(`${file} exists: fixtures are never rewritten`);
  writeFileSync(file, History.encode(History.fromObject(history as object)).finish());
}

/** Every workflow, bundled once for replaying, with the bundler kept quiet. */
export function bundleAllWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  const noop = () => undefined;
  return bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop } });
}
