// CPU and memory of the processes a scenario involves, read from /proc (Linux). A target is one process or a whole
// process group (the stack's services run detached, each in its own group: PostgreSQL's backends count with it).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcTarget {
  name: string;
  pid: number;
  /** Count the process and all its descendants (PostgreSQL backends, the dev server's helpers). */
  group?: boolean;
}

interface Reading {
  cpuTicks: number;
  rssBytes: number;
  alive: boolean;
}

export interface ProcUsage {
  name: string;
  cpuSeconds: number;
  /** CPU seconds per wall second × 100 (200 % = both cores of a 2-core machine). */
  cpuPercent: number;
  peakRssMB: number;
  endRssMB: number;
}

const PAGE_SIZE = 4096;
let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

// Indexes into statFields (field number - 3): pgrp 5, utime 14, stime 15, cutime 16, cstime 17, rss 24.
function readOne(pid: number): Reading & { ppid: number } {
  const f = statFields(pid);
  if (!f) return { cpuTicks: 0, rssBytes: 0, alive: false, ppid: -1 };
  const n = (i: number) => Number(f[i - 3]);
  // utime + stime + cutime + cstime: children that exited (short-lived backends) still count.
  return { cpuTicks: n(14) + n(15) + n(16) + n(17), rssBytes: n(24) * PAGE_SIZE, alive: f[0] !== 'Z', ppid: n(4) };
}

function readTree(root: number, all: Map<number, Reading & { ppid: number }>): Reading {
  const children = new Map<number, number[]>();
  for (const [pid, r] of all) children.set(r.ppid, [...(children.get(r.ppid) ?? []), pid]);
  let cpuTicks = 0;
  let rssBytes = 0;
  let alive = false;
  const stack = [root];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const r = all.get(pid) ?? readOne(pid);
    cpuTicks += r.cpuTicks;
    rssBytes += r.rssBytes;
    alive ||= r.alive;
    stack.push(...(children.get(pid) ?? []));
  }
  return { cpuTicks, rssBytes, alive };
}

function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

export function readTargets(targets: readonly ProcTarget[]): Map<string, Reading> {
  const all = new Map<number, Reading & { ppid: number }>();
  if (targets.some((t) => t.group)) for (const pid of allPids()) all.set(pid, readOne(pid));
  const out = new Map<string, Reading>();
  for (const t of targets) out.set(t.name, t.group ? readTree(t.pid, all) : readOne(t.pid));
  return out;
}

/** Cumulative CPU seconds of each target at one instant (ms). */
export interface CpuSample {
  at: number;
  cpuSeconds: Map<string, number>;
}

/**
 * CPU seconds the named targets used between `from` and `to` (ms), interpolated linearly between the samples around
 * each instant (instants outside the samples are clamped to the first or last). Null without two samples.
 */
export function cpuSecondsBetween(samples: readonly CpuSample[], names: readonly string[], from: number, to: number): number | null {
  if (samples.length < 2 || !(to >= from)) return null;
  const at = (name: string, t: number): number => {
    const first = samples[0];
    const last = samples[samples.length - 1];
    if (t <= first.at) return first.cpuSeconds.get(name) ?? 0;
    if (t >= last.at) return last.cpuSeconds.get(name) ?? 0;
    let k = 1;
    while (samples[k].at < t) k++;
    const a = samples[k - 1];
    const b = samples[k];
    const va = a.cpuSeconds.get(name) ?? 0;
    const vb = b.cpuSeconds.get(name) ?? va;
    return b.at === a.at ? vb : va + ((vb - va) * (t - a.at)) / (b.at - a.at);
  };
  return names.reduce((sum, name) => sum + Math.max(0, at(name, to) - at(name, from)), 0);
}

interface Window {
  startedAt: number;
  start: Map<string, Reading>;
  peak: Map<string, number>;
  samples: CpuSample[];
}

function cpuSample(at: number, readings: Map<string, Reading>): CpuSample {
  return { at, cpuSeconds: new Map([...readings].map(([name, r]) => [name, r.cpuTicks / ticksPerSecond()])) };
}

/** Samples its targets periodically; `begin()`/`end()` bracket a scenario and give CPU time and peak RSS within it. */
export class ProcSampler {
  private readonly targets = new Map<string, ProcTarget>();
  private readonly windows = new Set<Window>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly intervalMs = 500) {}

  get available(): boolean {
    return process.platform === 'linux';
  }

  set(target: ProcTarget): void {
    this.targets.set(target.name, target);
  }

  remove(name: string): void {
    this.targets.delete(name);
  }

  start(): void {
    if (!this.available || this.timer) return;
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Opens a window. `end()` gives each target's CPU time and peak RSS within it; `cpuBetween()` (also after `end()`)
   * the CPU seconds of some targets over a sub-interval, from the samples taken every `intervalMs`.
   */
  begin(): { end(): ProcUsage[]; cpuBetween(names: readonly string[], from: number, to: number): number | null } {
    const start = this.available ? readTargets([...this.targets.values()]) : new Map<string, Reading>();
    const startedAt = Date.now();
    const window: Window = { startedAt, start, peak: new Map([...start].map(([k, r]) => [k, r.rssBytes])), samples: this.available ? [cpuSample(startedAt, start)] : [] };
    this.windows.add(window);
    return {
      cpuBetween: (names, from, to) => cpuSecondsBetween(window.samples, names, from, to),
      end: () => {
        this.windows.delete(window);
        if (!this.available) return [];
        const end = readTargets([...this.targets.values()]);
        window.samples.push(cpuSample(Date.now(), end));
        const wall = (Date.now() - window.startedAt) / 1000;
        const usage: ProcUsage[] = [];
        for (const [name, r] of end) {
          const s = window.start.get(name);
          if (!s) continue;
          const cpuSeconds = Math.max(0, r.cpuTicks - s.cpuTicks) / ticksPerSecond();
          const peak = Math.max(window.peak.get(name) ?? 0, r.rssBytes);
          usage.push({ name, cpuSeconds, cpuPercent: wall > 0 ? (cpuSeconds / wall) * 100 : 0, peakRssMB: peak / 2 ** 20, endRssMB: r.rssBytes / 2 ** 20 });
        }
        return usage;
      },
    };
  }

  private sample(): void {
    if (this.windows.size === 0) return;
    const now = readTargets([...this.targets.values()]);
    const at = Date.now();
    for (const w of this.windows) {
      for (const [name, r] of now) w.peak.set(name, Math.max(w.peak.get(name) ?? 0, r.rssBytes));
      w.samples.push(cpuSample(at, now));
    }
  }
}
