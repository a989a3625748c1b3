import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive, sleep } from '../../stack/processes';

/**
 * `mainspring worker` or `mainspring bridge` as a child process of the chaos run, so it can be `kill -9`'d and
 * started again. Its pid file sits beside the stack's, so `clearStaleStack` also stops it after a crashed run.
 * An exit nobody asked for is counted and the process is started again (what a supervisor would do).
 */
export class ManagedChild {
  private child?: ChildProcess;
  private expectingExit = false;
  private stopped = false;
  unexpectedExits = 0;

  constructor(
    readonly name: string,
    private readonly spec: { command: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string; logFile: string; pidFile: string; readyLine: string },
    private readonly say: (line: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits (bounded, generous: bundling workflows is slow on a busy machine) for its ready log line. */
  async start(timeoutMs = 240_000): Promise<void> {
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    const from = existsSync(this.spec.logFile) ? statSync(this.spec.logFile).size : 0;
    const out = openSync(this.spec.logFile, 'a');
    this.expectingExit = false;
    const child = spawn(this.spec.command, this.spec.args, { cwd: this.spec.cwd, env: this.spec.env, stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    if (child.pid !== undefined) writeFileSync(this.spec.pidFile, String(child.pid));
    child.once('exit', (code, signal) => {
      if (this.child !== child || this.expectingExit || this.stopped) return;
      this.unexpectedExits += 1;
      this.say(`${this.name} exited on its own (code ${code ?? '-'}, signal ${signal ?? '-'}); starting it again`);
      void sleep(2000).then(() => (this.stopped || this.child !== child ? undefined : this.start().catch((err: unknown) => this.say(`${this.name} restart failed: ${String(err)}`))));
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.name} exited during start; see ${this.spec.logFile}`);
      if (readFileSync(this.spec.logFile).subarray(from).includes(this.spec.readyLine)) return;
      await sleep(500);
    }
    this.say(`${this.name} did not log "${this.spec.readyLine}" within ${Math.round(timeoutMs / 1000)} s; going on (log ${this.spec.logFile})`);
  }

  /** SIGKILL: no shutdown sequence, no commit, no goodbye — the crash being tested. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.expectingExit = true;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    while (isAlive(child.pid)) await sleep(50);
  }

  /** Ordered shutdown (SIGTERM), SIGKILL after the timeout. */
  async stop(timeoutMs = 60_000): Promise<void> {
    this.stopped = true;
    this.expectingExit = true;
    const child = this.child;
    if (child?.pid && isAlive(child.pid)) {
      process.kill(child.pid, 'SIGTERM');
      const deadline = Date.now() + timeoutMs;
      while (isAlive(child.pid) && Date.now() < deadline) await sleep(100);
      if (isAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
    }
    rmSync(this.spec.pidFile, { force: true });
  }
}
