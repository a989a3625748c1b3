import { latencySummaryRow, LiveView, renderSnapshot, type DemoSnapshot } from '../../../cli/demo/live-view';

const snapshot: DemoSnapshot = {
  elapsedSeconds: 60,
  durationSeconds: 120,
  produced: 700,
  labels: 500,
  accepted: 1190,
  completed: 655,
  backlog: 45,
  flagged: 20,
  fallbacks: 0,
  dlq: 0,
  lag: 12,
  latencyP50Ms: 180.4,
  latencyP99Ms: 412.6,
  champion: 'fraud-v1',
  shadow: null,
  learningPhase: 'idle',
  nextTrigger: '100 labels to volume trigger',
  driftStarted: false,
};

describe('live view', () => {
  it('shows the backlog (produced − decided) beside the bridge lag', () => {
    const events = renderSnapshot(snapshot).find((line) => line.includes('events'));
    expect(events).toContain('completed 655   backlog 45   dlq 0   lag 12');
  });

  it('plain lines (not a terminal, CI) carry the backlog too', () => {
    const written: string[] = [];
    const out = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    new LiveView(out).update(snapshot);
    expect(written.join('')).toContain('completed=655 backlog=45 flagged=20');
  });

  it('summarises the run’s event → decision latency', () => {
    expect(latencySummaryRow({ decided: 1314, p50Ms: 218.6, p99Ms: 1696.1, maxMs: 2896.2 }, 87)).toEqual({
      decided: 1314,
      'event→decision p50': '219 ms',
      p99: '1696 ms',
      max: '2896 ms',
      'max backlog': 87,
    });
    expect(latencySummaryRow({ decided: 0, p50Ms: null, p99Ms: null, maxMs: null }, 0)).toMatchObject({ 'event→decision p50': '–', p99: '–' });
  });
});
