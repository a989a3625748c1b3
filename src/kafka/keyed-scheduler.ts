/**
 * Runs tasks so that tasks with the same key run one after another in submission order, tasks with different
 * keys run in parallel, and at most `maxInFlight` run at once (submit waits for a slot). This is how the bridge
 * keeps per-key order without head-of-line blocking the whole partition behind one slow key.
 */
export class KeyedScheduler {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly all = new Set<Promise<void>>();
  private slots: number;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly maxInFlight: number) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError('maxInFlight must be a positive integer');
    this.slots = maxInFlight;
  }

  get inFlight(): number {
    return this.all.size;
  }

  /**
   * Queues `task` behind earlier tasks of the same key. Resolves once the task is queued (after waiting for a
   * free slot), not when it finishes; `onSettled` hears the outcome. Task errors never reject `drain`.
   */
  async submit(key: string, task: () => Promise<void>, onSettled: (error?: unknown) => void): Promise<void> {
    await this.acquire();
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(async () => {
      try {
        await task();
        onSettled();
      } catch (err) {
        onSettled(err);
      } finally {
        this.release();
      }
    });
    this.tails.set(key, run);
    this.all.add(run);
    void run.then(() => {
      this.all.delete(run);
      if (this.tails.get(key) === run) this.tails.delete(key);
    });
  }

  /** Waits until every submitted task has settled. */
  async drain(): Promise<void> {
    while (this.all.size > 0) await Promise.all([...this.all]);
  }

  private acquire(): Promise<void> {
    if (this.slots > 0) {
      this.slots -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.slots += 1;
  }
}
