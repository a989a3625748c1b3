import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { FEATURE_NAMES } from '../../../src/features/payment-features';
import { rocAuc } from '../../../src/model/metrics';
import { aucFromPoints, escapeHtml, histogram, renderReport, writeReport } from '../../../cli/demo/report';
import { buildRocSeries, rocCurve, type ReportData } from '../../../cli/demo/report-data';

function sampleData(): ReportData {
  const features = FEATURE_NAMES.map((name, i) => ({
    name,
    before: Array.from({ length: 40 }, (_, k) => (name === 'new_device' ? k % 2 : i + k / 10)),
    after: Array.from({ length: 25 }, (_, k) => (name === 'new_device' ? 1 : i + 2 + k / 10)),
  }));
  return {
    modelName: 'fraud',
    since: '2026-01-01T10:00:00.000Z',
    generatedAt: '2026-01-01T10:03:00.000Z',
    summary: { decided: 3600, flagged: 120, approved: 3480, fallbacks: 3, labels: 3400, fraudLabels: 90 },
    split: { at: '2026-01-01T10:01:20.000Z', basis: 'drift' },
    features,
    driftReports: [
      {
        at: '2026-01-01T10:01:20.000Z',
        championVersion: 'fraud-v1',
        datasetDrift: true,
        share: 0.5,
        rows: 500,
        features: [
          { name: 'amount', statisticName: 'ks_p_value', statistic: 0.0001, threshold: 0.05, drifted: true },
          { name: 'new_device', statisticName: 'chi2_p_value', statistic: 0.4, threshold: 0.05, drifted: false },
        ],
      },
    ],
    models: [
      { version: 'fraud-v1', aliases: ['previous'], createdAt: '2026-01-01T09:59:00.000Z', rows: 20000, rocAuc: 0.91, prAuc: 0.6, precision: 0.7, recall: 0.5 },
      { version: 'fraud-v2', aliases: ['champion'], createdAt: '2026-01-01T10:02:00.000Z', rows: 2000, rocAuc: 0.94, prAuc: 0.7, precision: 0.75, recall: 0.6 },
    ],
    roc: [
      { label: 'champion (all labelled)', versions: ['fraud-v1'], positives: 2, negatives: 2, points: [{ fpr: 0, tpr: 0 }, { fpr: 0, tpr: 0.5 }, { fpr: 0.5, tpr: 1 }, { fpr: 1, tpr: 1 }] },
      { label: 'shadow fraud-v2', versions: ['fraud-v2'], positives: 2, negatives: 2, points: [{ fpr: 0, tpr: 0 }, { fpr: 0, tpr: 1 }, { fpr: 1, tpr: 1 }] },
    ],
    timeline: [
      { at: '2026-01-01T10:01:21.000Z', kind: 'trigger', title: 'trigger drift → started', detail: 'dataset drift share 0.5' },
      { at: '2026-01-01T10:02:30.000Z', kind: 'approval', title: 'fraud-v2 approved by demo-approver', detail: 'via update: <script>alert("x")</script> & more' },
      { at: '2026-01-01T10:02:31.000Z', kind: 'promotion', title: 'champion fraud-v1 → fraud-v2', detail: 'by demo-approver: ok' },
    ],
  };
}

describe('renderReport', () => {
  const html = renderReport(sampleData());

  it('is a self-contained page: no scripts, no external assets', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)=["']?https?:/i);
    expect(html).not.toMatch(/<link\b/i);
  });

  it('shows the summary and every feature with its histogram', () => {
    expect(html).toContain('payments decided');
    expect(html).toContain('3,600');
    for (const name of FEATURE_NAMES) expect(html).toContain(`<code>${name}</code>`);
    expect(html.match(/<svg class="hist"/g)).toHaveLength(FEATURE_NAMES.length);
    expect(html).toContain('ks_p_value');
    expect(html).toContain('drifted');
  });

  it('draws one polyline per ROC curve and puts the AUC in the legend', () => {
    expect(html.match(/<polyline class="roc"/g)).toHaveLength(2);
    expect(html).toContain('data-series="shadow fraud-v2"');
    expect(html).toMatch(/champion \(all labelled\)[\s\S]*?AUC <b>0\.875<\/b>/);
    expect(html).toMatch(/shadow fraud-v2[\s\S]*?AUC <b>1\.000<\/b>/);
  });

  it('escapes strings from data', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('lists the timeline in order with promotions', () => {
    const i = html.indexOf('trigger drift');
    const j = html.indexOf('champion fraud-v1 → fraud-v2');
    expect(i).toBeGreaterThan(0);
    expect(j).toBeGreaterThan(i);
    expect(html).toContain('class="k-promotion"');
  });

  it('degrades to notes when there is no data', () => {
    const empty = renderReport({ ...sampleData(), features: [], driftReports: [], models: [], roc: [], timeline: [] });
    expect(empty).toContain('no drift check ran');
    expect(empty).toContain('not enough labelled payments');
    expect(empty).not.toContain('<polyline');
  });
});

describe('histogram', () => {
  it('shares bins between before and after and counts every value once', () => {
    const before = [0, 0.1, 0.2, 0.5, 0.9, 1];
    const after = [0.5, 2, 3, 3.9, 4];
    const h = histogram(before, after, 8);
    expect(h.edges).toHaveLength(9);
    expect(h.edges[0]).toBe(0);
    expect(h.edges[8]).toBe(4);
    expect(h.before.reduce((a, b) => a + b, 0)).toBe(before.length);
    expect(h.after.reduce((a, b) => a + b, 0)).toBe(after.length);
    expect(h.before[0]).toBe(3); // 0, 0.1, 0.2 in [0, 0.5)
    expect(h.after[7]).toBe(2); // the maximum lands in the last bin
  });

  it('gives binary flags one bin per value', () => {
    const h = histogram([0, 0, 1], [1, 1]);
    expect(h.edges).toEqual([-0.5, 0.5, 1.5]);
    expect(h.before).toEqual([2, 1]);
    expect(h.after).toEqual([0, 2]);
  });

  it('sums to the counts of the rendered sample data', () => {
    for (const f of sampleData().features) {
      const h = histogram(f.before, f.after);
      expect(h.before.reduce((a, b) => a + b, 0)).toBe(f.before.length);
      expect(h.after.reduce((a, b) => a + b, 0)).toBe(f.after.length);
    }
  });
});

describe('ROC', () => {
  it('AUC from the points matches the known value and the Mann-Whitney AUC, ties included', () => {
    expect(aucFromPoints([{ fpr: 0, tpr: 0 }, { fpr: 0, tpr: 0.5 }, { fpr: 0.5, tpr: 1 }, { fpr: 1, tpr: 1 }])).toBeCloseTo(0.875, 12);
    const scores = [0.9, 0.8, 0.8, 0.7, 0.4, 0.4, 0.3, 0.1];
    const labels = [1, 1, 0, 1, 0, 1, 0, 0];
    const points = rocCurve(scores, labels);
    expect(points[0]).toEqual({ fpr: 0, tpr: 0 });
    expect(points[points.length - 1]).toEqual({ fpr: 1, tpr: 1 });
    expect(aucFromPoints(points)).toBeCloseTo(rocAuc(scores, labels), 12);
    expect(aucFromPoints(points)).toBeCloseTo(13 / 16, 12); // pairs won 13 of 16, ties counting half
  });

  it('is empty when a class is missing', () => {
    expect(rocCurve([0.1, 0.2], [0, 0])).toEqual([]);
  });

  it('compares the shadow with the champion on the same payments', () => {
    const row = (score: number, shadowScore: number | null, fraud: boolean) => ({ score, shadowScore, modelVersion: 'fraud-v1', shadowVersion: shadowScore === null ? null : 'fraud-v2', fraud });
    const series = buildRocSeries([row(0.9, 0.95, true), row(0.2, 0.1, false), row(0.6, 0.3, false), row(0.5, 0.8, true), row(0.7, null, false)]);
    expect(series.map((s) => s.label)).toEqual(['champion (all labelled)', 'champion (paired with fraud-v2)', 'shadow fraud-v2']);
    expect(series[0].negatives).toBe(3);
    expect(series[1].negatives).toBe(2);
    expect(aucFromPoints(series[2].points)).toBe(1);
    expect(aucFromPoints(series[1].points)).toBeCloseTo(0.75, 12);
  });
});

describe('writeReport', () => {
  it('writes the page and returns its absolute path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mainspring-report-'));
    try {
      const path = await writeReport(sampleData(), join(dir, 'nested', 'report.html'));
      expect(isAbsolute(path)).toBe(true);
      expect(await readFile(path, 'utf8')).toContain('mainspring run report');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
