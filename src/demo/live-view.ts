export interface DemoSnapshot {
  elapsedSeconds: number;
  durationSeconds: number;
  produced: number;
  labels: number;
  accepted: number;
  completed: number;
  flagged: number;
  fallbacks: number;
  dlq: number;
  lag: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  champion: string | null;
  shadow: string | null;
  learningPhase: string;
  nextTrigger: string;
  driftStarted: boolean;
  notice?: string;
}

const fmt = (n: number | null, unit = '') => (n === null ? '–' : `${Math.round(n)}${unit}`);

export function renderSnapshot(s: DemoSnapshot): string[] {
  const progress = Math.min(1, s.elapsedSeconds / s.durationSeconds);
  const bar = '█'.repeat(Math.round(progress * 30)).padEnd(30, '░');
  return [
    `mainspring demo  ${bar} ${Math.round(s.elapsedSeconds)}/${s.durationSeconds} s${s.driftStarted ? '  ⚠ drift injected' : ''}`,
    '',
    `  events     produced ${s.produced}   accepted ${s.accepted}   completed ${s.completed}   dlq ${s.dlq}   lag ${s.lag}`,
    `  decisions  flagged ${s.flagged}   rule fallbacks ${s.fallbacks}   labels sent ${s.labels}`,
    `  latency    event → decision  p50 ${fmt(s.latencyP50Ms, ' ms')}   p99 ${fmt(s.latencyP99Ms, ' ms')}`,
    `  models     champion ${s.champion ?? '–'}   shadow ${s.shadow ?? '–'}`,
    `  learning   ${s.learningPhase}   next: ${s.nextTrigger}`,
    ...(s.notice ? ['', `  ▶ ${s.notice}`] : []),
  ];
}

/**
 * Redraws the snapshot in place on a terminal; writes a plain line every `plainEveryMs` when the output is not a
 * TTY or CI=true, so logs stay readable.
 */
export class LiveView {
  private lines = 0;
  private lastPlain = 0;
  readonly interactive: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly plainEveryMs = 10_000,
  ) {
    this.interactive = Boolean(out.isTTY) && process.env.CI !== 'true';
  }

  update(snapshot: DemoSnapshot): void {
    if (this.interactive) {
      const lines = renderSnapshot(snapshot);
      if (this.lines > 0) this.out.write(`\x1b[${this.lines}F\x1b[J`);
      this.out.write(`${lines.join('\n')}\n`);
      this.lines = lines.length;
      return;
    }
    if (Date.now() - this.lastPlain < this.plainEveryMs && !snapshot.notice) return;
    this.lastPlain = Date.now();
    const s = snapshot;
    this.out.write(
      `[demo ${Math.round(s.elapsedSeconds)}s] produced=${s.produced} accepted=${s.accepted} completed=${s.completed} flagged=${s.flagged} dlq=${s.dlq} lag=${s.lag} p50=${fmt(s.latencyP50Ms)}ms p99=${fmt(s.latencyP99Ms)}ms champion=${s.champion ?? '-'} shadow=${s.shadow ?? '-'} learning=${s.learningPhase}${s.notice ? ` notice="${s.notice}"` : ''}\n`,
    );
  }
}
