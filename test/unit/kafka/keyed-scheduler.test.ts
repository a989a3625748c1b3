import { KeyedScheduler } from '../../../src/kafka/keyed-scheduler';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('KeyedScheduler', () => {
  it('runs one key in submission order while other keys overtake a slow one', async () => {
    const scheduler = new KeyedScheduler(10);
    const log: string[] = [];
    let releaseSlow!: () => void;
    const slow = new Promise<void>((r) => (releaseSlow = r));
    const settled: string[] = [];
    const done = (name: string) => () => settled.push(name);
    await scheduler.submit('a', async () => { await slow; log.push('a1'); }, done('a1'));
    await scheduler.submit('a', async () => { log.push('a2'); }, done('a2'));
    await scheduler.submit('b', async () => { log.push('b1'); }, done('b1'));
    await tick(5);
    expect(log).toEqual(['b1']);
    releaseSlow();
    await scheduler.drain();
    expect(log).toEqual(['b1', 'a1', 'a2']);
    expect(settled).toEqual(['b1', 'a1', 'a2']);
  });

  it('bounds the number of tasks in flight and reports errors without stopping the key', async () => {
    const scheduler = new KeyedScheduler(2);
    let running = 0;
    let peak = 0;
    const errors: unknown[] = [];
    const task = (fail: boolean) => async () => {
      running += 1;
      peak = Math.max(peak, running);
      await tick(2);
      running -= 1;
      if (fail) throw new Error('boom');
    };
    for (let i = 0; i < 8; i += 1) await scheduler.submit(`k${i % 4}`, task(i === 3), (e) => e && errors.push(e));
    await scheduler.drain();
    expect(peak).toBe(2);
    expect(errors).toHaveLength(1);
    expect(scheduler.inFlight).toBe(0);
  });
});
