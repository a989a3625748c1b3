import { Backoff } from '../../../src/kafka/backoff';

describe('Backoff', () => {
  it('doubles each wait up to the maximum, with jitter between half and all of the step', async () => {
    const slept: number[] = [];
    const draws = [1, 0, 1, 1, 0.5, 1];
    const backoff = new Backoff({ initialMs: 100, maxMs: 500 }, () => draws.shift()!, async (ms) => void slept.push(ms));
    for (let i = 0; i < 6; i++) await backoff.wait();
    expect(slept).toEqual([100, 100, 400, 500, 375, 500]);
  });
});
