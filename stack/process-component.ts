import { rmSync } from 'node:fs';
import type { PortClaim } from '../src/lifecycle/ports';
import type { ComponentStatus, StackComponent } from './component';
import { StackError } from './errors';
import type { StackPaths } from './paths';
import { livePid, spawnDetached, stopFromPidFile, tailFile, waitUntil, type DetachedSpec } from './processes';

/**
 * What every service of a stack has in common: one detached process group with a pid file, a log and a data
 * directory named after the component, healthy when its own check says so. Subclasses say how to start and check it.
 */
export abstract class ProcessComponent implements StackComponent {
  constructor(
    readonly name: string,
    protected readonly paths: StackPaths,
    private readonly stopping: { timeoutMs: number; signal?: NodeJS.Signals } = { timeoutMs: 30_000 },
  ) {}

  abstract healthy(): Promise<boolean>;
  abstract ports(): PortClaim[];
  abstract preflight(): Promise<void>;
  abstract start(progress: (line: string) => void): Promise<void>;
  abstract status(): Promise<ComponentStatus>;

  protected get pidFile(): string {
    return this.paths.pid(this.name);
  }

  protected get dataDir(): string {
    return this.paths.data(this.name);
  }

  async running(): Promise<boolean> {
    return livePid(this.pidFile) !== undefined && (await this.healthy().catch(() => false));
  }

  async stop(): Promise<void> {
    await stopFromPidFile(this.pidFile, this.stopping.timeoutMs, this.stopping.signal);
  }

  async wipe(): Promise<void> {
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Spawns the process (log and pid file by name) and waits until healthy; a dead process or a timeout shows its log. */
  protected async launch(
    spec: Omit<DetachedSpec, 'logFile' | 'pidFile'>,
    /** `ready`: a check for start-up other than `healthy` (PostgreSQL answers before its database exists). */
    wait: { what: string; timeoutMs: number; intervalMs?: number; hint?: string; ready?: () => Promise<boolean> },
  ): Promise<void> {
    const logFile = this.paths.log(this.name);
    const pid = spawnDetached({ ...spec, logFile, pidFile: this.pidFile });
    const ready = await waitUntil(wait.ready ?? (() => this.healthy()), { timeoutMs: wait.timeoutMs, intervalMs: wait.intervalMs, isDead: () => livePid(this.pidFile) !== pid });
    if (!ready.ok) {
      throw new StackError('UNHEALTHY', `${wait.what} did not become healthy: ${ready.reason}. Log ${logFile}:\n${tailFile(logFile)}`, wait.hint ?? 'Check the log above; `mainspring stack down` then `mainspring stack up` retries.');
    }
  }

  /** down without a live pid; otherwise up or unhealthy by the health check. */
  protected async processStatus(base: Omit<ComponentStatus, 'name' | 'state' | 'external' | 'pid'>, extra: () => Promise<Partial<ComponentStatus>> = async () => ({})): Promise<ComponentStatus> {
    const pid = livePid(this.pidFile);
    const status = { name: this.name, external: false, pid, ...base };
    if (pid === undefined) return { ...status, state: 'down' };
    const healthy = await this.healthy().catch(() => false);
    return { ...status, state: healthy ? 'up' : 'unhealthy', ...(await extra()) };
  }
}
