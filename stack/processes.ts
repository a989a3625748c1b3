import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DetachedSpec {
  command: string;
  args: string[];
  logFile: string;
  pidFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

/**
 * Starts a service in its own process group, detached from us, so `mainspring stack up` can return while the
 * service keeps running; output goes to a log file that error messages point at.
 */
export function spawnDetached(spec: DetachedSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
      uid: spec.uid,
      gid: spec.gid,
    });
    if (child.pid === undefined) throw new Error(`could not spawn ${spec.command}`);
    child.unref();
    writeFileSync(spec.pidFile, String(child.pid));
    return child.pid;
  } finally {
    closeSync(out);
  }
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export function livePid(pidFile: string): number | undefined {
  const pid = readPid(pidFile);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** SIGTERM the whole process group, wait, then SIGKILL what is left. Returns true if it had to force. */
export async function stopProcess(pid: number, timeoutMs = 15_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  send(signal);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return false;
    await sleep(100);
  }
  send('SIGKILL');
  while (isAlive(pid)) await sleep(50);
  return true;
}

export async function stopFromPidFile(pidFile: string, timeoutMs?: number, signal?: NodeJS.Signals): Promise<boolean> {
  const pid = livePid(pidFile);
  if (pid !== undefined) await stopProcess(pid, timeoutMs, signal);
  rmSync(pidFile, { force: true });
  return pid !== undefined;
}

export function tailFile(file: string, lines = 15): string {
  if (!existsSync(file)) return '(no log file yet)';
  const all = readFileSync(file, 'utf8').trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** Polls `check` until it resolves true or the deadline passes; the last error explains a timeout. */
export async function waitUntil(
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs = 250, isDead }: { timeoutMs: number; intervalMs?: number; isDead?: () => boolean },
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'not ready';
  while (Date.now() < deadline) {
    if (isDead?.()) return { ok: false, reason: 'process exited' };
    try {
      if (await check()) return { ok: true };
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(intervalMs);
  }
  return { ok: false, reason: `timed out after ${Math.round(timeoutMs / 1000)} s (${lastError})` };
}
