import { OffsetTracker } from '../../../src/kafka/offset-tracker';

describe('OffsetTracker', () => {
  it('never moves the watermark past an unfinished offset', () => {
    const tracker = new OffsetTracker(['10', '11', '12', '13']);
    expect(tracker.finish(['11', '13'])).toBeUndefined();
    expect(tracker.watermark).toBeUndefined();
    expect(tracker.finish(['10'])).toBe('11');
    expect(tracker.finish(['12'])).toBe('13');
    expect(tracker.complete).toBe(true);
  });

  it('orders offsets numerically, beyond the range of a double', () => {
    const big = '9007199254740993';
    const tracker = new OffsetTracker([big, '9007199254740992', '99']);
    expect(tracker.finish(['99', '9007199254740992'])).toBe('9007199254740992');
    expect(tracker.finish([big])).toBe(big);
  });
});
