import { areaOf, renderProfiles, summarizeProfile } from '../../../bench/lib/cpu-profile';

describe('V8 profile summary', () => {
  it('names a frame by its package, project folder, built-in module or V8 bucket', () => {
    expect(areaOf('file:///work/main/node_modules/kafkajs/src/producer/index.js', 'send')).toBe('kafkajs');
    expect(areaOf('/srv/app/node_modules/@temporalio/worker/lib/worker.js', 'x')).toBe('@temporalio/worker');
    expect(areaOf('/srv/app/activities/enrichment.activities.ts', 'enrichPayment')).toBe('activities');
    expect(areaOf('/srv/app/dist/src/kafka/bridge.js', 'handleBatch')).toBe('src/kafka');
    expect(areaOf('node:internal/timers', 'listOnTimeout')).toBe('node (built-in modules)');
    expect(areaOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(areaOf('', 'writev')).toBe('native: writev');
  });

  it('sums self time per area, leaves idle out of busy and ranks the largest first', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(idle)', url: '' } },
        { id: 2, callFrame: { functionName: 'is', url: '/a/node_modules/drizzle-orm/entity.cjs' } },
        { id: 3, callFrame: { functionName: 'send', url: '/a/node_modules/kafkajs/src/x.js' } },
        { id: 4, callFrame: { functionName: 'sql', url: '/a/node_modules/drizzle-orm/sql/sql.cjs' } },
      ],
      samples: [1, 2, 3, 4, 1],
      timeDeltas: [4000, 3000, 1000, 2000, 10000],
    };
    const summary = summarizeProfile(profile, 5);
    expect(summary.wallMs).toBe(20);
    expect(summary.busyMs).toBe(6);
    expect(summary.top).toEqual([
      { area: 'drizzle-orm', ms: 5 },
      { area: 'kafkajs', ms: 1 },
    ]);
    const table = renderProfiles([{ process: 'combined', pid: 7, thread: 0, ...summary }]);
    expect(table).toContain('| combined | main | 0.0 s (30 % of 0 s) | drizzle-orm 0.01 s (83 %) · kafkajs 0.00 s (17 %) |');
  });
});
