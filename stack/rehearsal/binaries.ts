import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StackError } from '../errors';

const run = promisify(execFile);

/**
 * Pinned versions of the real Temporal server and its UI, built from the Go modules the Go proxy serves.
 * v1.32's go.mod asks for a newer Go than many distributions ship: GOTOOLCHAIN fetches that toolchain (also from
 * the Go proxy) for the build only.
 */
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const TEMPORAL_SERVER_VERSION = 'v1.32.2';
export const TEMPORAL_UI_MODULE = 'github.com/temporalio/ui-server/v2';
/** v2.58's dependencies (echo v4.16.1, api v1.64.0) are not on the Go proxy yet; 2.56.4 builds. */
export const TEMPORAL_UI_VERSION = 'v2.56.4';
export const GO_TOOLCHAIN = 'go1.27.3';

export interface TemporalBinaries {
  server: string;
  sqlTool: string;
  ui: string;
}

/** Where the binaries of the pinned versions live; a version change builds into a new directory. */
export function temporalBinaries(tools: string): TemporalBinaries {
  const server = join(tools, 'temporal-server', TEMPORAL_SERVER_VERSION);
  return { server: join(server, 'temporal-server'), sqlTool: join(server, 'temporal-sql-tool'), ui: join(tools, 'temporal-ui-server', TEMPORAL_UI_VERSION, 'temporal-ui-server') };
}

/**
 * Builds what is missing with `go install` (minutes the first time; Go's module and build caches make later builds
 * of the same versions take seconds) and returns the paths.
 */
export async function ensureTemporalBinaries(tools: string, progress: (line: string) => void): Promise<TemporalBinaries> {
  const bins = temporalBinaries(tools);
  if (existsSync(bins.server) && existsSync(bins.sqlTool) && existsSync(bins.ui)) return bins;
  await ensureGo();
  const build = async (what: string, packages: string[], renames: Array<[string, string]>, dir: string) => {
    // Both modules name their main package `server`: each builds into its own directory, then gets its real name.
    const gobin = join(dir, '.build');
    rmSync(gobin, { recursive: true, force: true });
    mkdirSync(gobin, { recursive: true });
    const started = Date.now();
    progress(`building ${what} with go install (${GO_TOOLCHAIN}; the first build takes several minutes, later ones reuse Go's caches)`);
    const ticker = setInterval(() => progress(`  still building ${what} (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
    try {
      await run('go', ['install', ...packages], { env: { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOBIN: gobin }, maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? String(err);
      throw new StackError('NOT_INSTALLED', `Building ${what} failed:\n${stderr.split('\n').slice(-15).join('\n')}`, `The build needs the Go proxy (GOPROXY) and the ${GO_TOOLCHAIN} toolchain it serves; retry, or set TEMPORAL_ADDRESS to an existing server.`);
    } finally {
      clearInterval(ticker);
    }
    for (const [from, to] of renames) renameSync(join(gobin, from), to);
    rmSync(gobin, { recursive: true, force: true });
    progress(`built ${what} in ${Math.round((Date.now() - started) / 1000)} s`);
  };
  if (!existsSync(bins.server) || !existsSync(bins.sqlTool)) {
    await build(
      `Temporal server ${TEMPORAL_SERVER_VERSION}`,
      [`${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`, `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`],
      [['server', bins.server], ['sql', bins.sqlTool]],
      join(bins.server, '..'),
    );
  }
  if (!existsSync(bins.ui)) {
    await build(`Temporal UI server ${TEMPORAL_UI_VERSION}`, [`${TEMPORAL_UI_MODULE}/cmd/server@${TEMPORAL_UI_VERSION}`], [['server', bins.ui]], join(bins.ui, '..'));
  }
  return bins;
}

async function ensureGo(): Promise<void> {
  try {
    await run('go', ['version']);
  } catch {
    throw new StackError('NOT_INSTALLED', 'The rehearsal builds the Temporal server from source, and `go` was not found on PATH.', 'Install Go 1.21 or newer (`apt-get install golang-go`, or https://go.dev/dl); GOTOOLCHAIN fetches the exact toolchain the server needs.');
  }
}
