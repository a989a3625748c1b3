/**
 * Exponential backoff with jitter for the bridge's unbounded retries (Temporal not accepting, the DLQ not writable):
 * each wait doubles up to `maxMs`; the jitter (50–100 % of the step) keeps many partitions from retrying in step.
 */
export class Backoff {
  private step: number;

  constructor(
    private readonly bounds: { initialMs: number; maxMs: number },
    private readonly random: () => number = Math.random,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.step = bounds.initialMs;
  }

  /** Waits the current step (with jitter), then doubles it; returns the time waited. */
  async wait(): Promise<number> {
    const ms = this.step * (0.5 + this.random() / 2);
    this.step = Math.min(this.step * 2, this.bounds.maxMs);
    await this.sleep(ms);
    return ms;
  }
}
