export interface DemoSnapshot {
  elapsedSeconds: number;
  durationSeconds: number;
  produced: number;
  labels: number;
  accepted: number;
  completed: number;
  /** Payments produced and not decided yet (produced − decided): grows when the stream outruns the pipeline. */
  backlog: number;
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
    `  events     produced ${s.produced}   accepted ${s.accepted}   completed ${s.completed}   backlog ${s.backlog}   dlq ${s.dlq}   lag ${s.lag}`,
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
      `[demo ${Math.round(s.elapsedSeconds)}s] produced=${s.produced} accepted=${s.accepted} completed=${s.completed} backlog=${s.backlog} flagged=${s.flagged} dlq=${s.dlq} lag=${s.lag} p50=${fmt(s.latencyP50Ms)}ms p99=${fmt(s.latencyP99Ms)}ms champion=${s.champion ?? '-'} shadow=${s.shadow ?? '-'} learning=${s.learningPhase}${s.notice ? ` notice="${s.notice}"` : ''}\n`,
    );
  }
}

/** Event → decision latency over a whole run (every decision since it started). */
export interface LatencySummary {
  decided: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** The summary's latency row: what the run's payments waited from their event time to their decision. */
export function latencySummaryRow(latency: LatencySummary, maxBacklog: number): Record<string, string | number> {
  return {
    decided: latency.decided,
    'event→decision p50': fmt(latency.p50Ms, ' ms'),
    p99: fmt(latency.p99Ms, ' ms'),
    max: fmt(latency.maxMs, ' ms'),
    'max backlog': maxBacklog,
  };
}
