// Where the JavaScript CPU of the bench's Node processes went (`--cpu-prof`): V8 profiles summed by package or
// project folder, so a miss in the table comes with what the worker, bridge and plain consumer spent their time on.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  process: string;
  pid: number;
  /** 0 = the main thread; higher numbers are worker threads (Temporal's workflow thread, the learning thread). */
  thread: number;
  /** Time not idle, ms. */
  busyMs: number;
  wallMs: number;
  /** The largest areas by self time, ms, largest first. */
  top: Array<{ area: string; ms: number }>;
}

/** The package (`kafkajs`, `@temporalio/worker`), project folder (`activities`, `src/kafka`) or V8 bucket of a frame. */
export function areaOf(url: string, functionName: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node (built-in modules)';
  if (url === '') return functionName.startsWith('(') ? functionName : `native: ${functionName || 'anonymous'}`;
  const project = /\/(activities|workflows|workers|schemas|bench|src\/[^/]+)\//.exec(url);
  return project ? project[1] : 'other';
}

/** Self time per area of one profile. */
export function summarizeProfile(profile: CpuProfile, topN = 8): { busyMs: number; wallMs: number; top: ProfileSummary['top'] } {
  const areaOfNode = new Map(profile.nodes.map((n) => [n.id, areaOf(n.callFrame.url, n.callFrame.functionName)]));
  const byArea = new Map<string, number>();
  let wall = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    wall += dt;
    const area = areaOfNode.get(id) ?? 'other';
    byArea.set(area, (byArea.get(area) ?? 0) + dt);
  });
  const idle = byArea.get('(idle)') ?? 0;
  byArea.delete('(idle)');
  const top = [...byArea]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([area, us]) => ({ area, ms: us / 1000 }));
  return { busyMs: (wall - idle) / 1000, wallMs: wall / 1000, top };
}

/** Every profile in `dir` (`CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`), named by the pid's process. */
export function summarizeProfiles(dir: string, processOf: ReadonlyMap<number, string>): ProfileSummary[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  return files
    .map((file) => {
      const [, , , pid, thread] = file.split('.');
      const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
      return { process: processOf.get(Number(pid)) ?? `pid ${pid}`, pid: Number(pid), thread: Number(thread), ...summary };
    })
    .filter((s) => s.busyMs > 0)
    .sort((a, b) => a.process.localeCompare(b.process) || a.thread - b.thread);
}

export function renderProfiles(summaries: readonly ProfileSummary[]): string {
  const lines = [
    '## Where the JavaScript CPU went (V8 profiles, `--cpu-prof`)',
    '',
    'Self time of each Node process and thread over its whole life (start-up and bundling included), by package or project folder.',
    '',
    '| process | thread | busy | largest areas (self time) |',
    '|---|---|---|---|',
  ];
  for (const s of summaries) {
    const busyShare = s.wallMs > 0 ? ` (${((100 * s.busyMs) / s.wallMs).toFixed(0)} % of ${(s.wallMs / 1000).toFixed(0)} s)` : '';
    const top = s.top.map((t) => `${t.area} ${(t.ms / 1000).toFixed(2)} s (${((100 * t.ms) / Math.max(s.busyMs, 1)).toFixed(0)} %)`).join(' · ');
    lines.push(`| ${s.process} | ${s.thread === 0 ? 'main' : `worker ${s.thread}`} | ${(s.busyMs / 1000).toFixed(1)} s${busyShare} | ${top} |`);
  }
  return lines.join('\n');
}
