import { allOf, atLeast, atMost, formatFigure, formatNumber, formatRatio, renderMarkdown, renderRows, resultFileStem, type BenchResult, type ComparisonRow } from '../../../bench/lib/report';

describe('targets', () => {
  it('at most / at least, with n/a for missing figures', () => {
    expect(atMost(40, 40)).toBe('pass');
    expect(atMost(40.1, 40)).toBe('miss');
    expect(atMost(null, 40)).toBe('n/a');
    expect(atMost(Number.NaN, 40)).toBe('n/a');
    expect(atLeast(150, 150)).toBe('pass');
    expect(atLeast(149, 150)).toBe('miss');
    expect(atLeast(undefined, 1)).toBe('n/a');
  });

  it('allOf: a miss wins, then n/a, else pass', () => {
    expect(allOf('pass', 'pass')).toBe('pass');
    expect(allOf('pass', 'n/a')).toBe('n/a');
    expect(allOf('n/a', 'miss')).toBe('miss');
  });
});

describe('formatting', () => {
  it('numbers keep about three significant digits', () => {
    expect(formatNumber(1234.5)).toBe('1,235');
    expect(formatNumber(123.4)).toBe('123');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(1.2345)).toBe('1.23');
    expect(formatNumber(0.01234)).toBe('0.012');
    expect(formatNumber(0.000123)).toBe('0.00012');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(-2.5)).toBe('-2.50');
  });

  it('figures carry their unit, AUC four decimals, shares as percent, missing ones say why', () => {
    expect(formatFigure({ value: 21.456, unit: 'µs' })).toBe('21.5 µs');
    expect(formatFigure({ value: 0.91234, unit: 'AUC' })).toBe('0.9123');
    expect(formatFigure({ value: 0.5, unit: 'share' })).toBe('50.0 %');
    expect(formatFigure({ value: 3, unit: 'count', note: 'of 20 drifted' })).toBe('3 (of 20 drifted)');
    expect(formatFigure({ value: 2.5, unit: 'count' })).toBe('2.50');
    expect(formatFigure({ value: null, unit: 'ms', note: 'pip install failed' })).toBe('unavailable (pip install failed)');
    expect(formatFigure(undefined)).toBe('—');
  });

  it('ratios are "×" quotients unless plain', () => {
    expect(formatRatio({ value: 2.5, label: 'durability tax' })).toBe('2.50× durability tax');
    expect(formatRatio({ value: 0.0004, label: 'AUC difference', plain: true })).toBe('0.00040 AUC difference');
    expect(formatRatio({ value: null, label: 'vs Python' })).toBe('— vs Python');
    expect(formatRatio(undefined)).toBe('');
  });

  it('result files are named by a sortable, path-safe UTC stamp', () => {
    expect(resultFileStem('2025-01-02T03:04:05.678Z')).toBe('2025-01-02T03-04-05Z');
  });
});

const row: ComparisonRow = {
  section: 'pipeline',
  metric: 'sustained throughput',
  mainspring: { value: 120, unit: 'sagas/s' },
  other: { name: 'plain kafkajs consumer', value: 480, unit: 'ev/s' },
  ratio: { value: 4, label: 'durability tax' },
  target: { text: '≥ 150 sagas/s', verdict: 'miss' },
};

describe('markdown', () => {
  it('renders one table row per comparison, escaping pipes', () => {
    const md = renderRows([row, { section: 'a|b', metric: 'm', mainspring: { value: 1, unit: 'ms' } }]);
    const lines = md.split('\n');
    expect(lines[0]).toBe('| section | measure | mainspring | side by side | ratio | target |');
    expect(lines[2]).toBe('| pipeline | sustained throughput | 120 sagas/s | plain kafkajs consumer: 480 ev/s | 4.00× durability tax | ≥ 150 sagas/s: **miss** |');
    expect(lines[3]).toBe('| a\\|b | m | 1.00 ms |  |  |  |');
  });

  it('the report has the headline, machine, table, problems and configuration', () => {
    const result: BenchResult = {
      tool: 'mainspring-bench',
      formatVersion: 1,
      mode: 'quick',
      status: 'partial',
      startedAt: '2025-01-02T03:04:05.678Z',
      finishedAt: '2025-01-02T03:05:05.678Z',
      wallSeconds: 60,
      machine: { hostname: 'h', platform: 'linux', kernel: '6.1', cpus: 2, cpuModel: 'Test CPU', memoryGiB: 24, loadAverage1m: 0.5, node: 'v20.0.0', python: '3.11.7' },
      config: { mode: 'quick' },
      environment: { runId: 'abc' },
      sections: { drift: { status: 'unavailable', reason: 'pip install failed' }, scoring: { status: 'ok' } },
      rows: [row, { ...row, target: { text: 't', verdict: 'pass' } }, { ...row, target: { text: 't', verdict: 'n/a' } }],
      details: {},
      problems: ['something else'],
    };
    const md = renderMarkdown(result);
    expect(md).toContain('# mainspring bench — quick run, 2025-01-02T03:04:05.678Z');
    expect(md).toContain('Status **partial**, wall time 60.0 s. 1 targets met, 1 missed, 1 not measured.');
    expect(md).toContain('2 × Test CPU, 24.0 GiB, linux 6.1, Node v20.0.0, Python 3.11.7');
    expect(md).toContain('| pipeline | sustained throughput |');
    expect(md).toContain('- drift: unavailable — pip install failed');
    expect(md).toContain('- something else');
    expect(md).not.toContain('- scoring');
    expect(md).toContain('"runId": "abc"');
  });
});
