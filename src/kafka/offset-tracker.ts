/**
 * Tracks which offsets of one partition's batch are finished (accepted by Temporal or parked in the DLQ) and
 * yields the highest offset below which everything is finished: the only offset it is safe to commit.
 * Work finishes out of order (different keys run in parallel), commits never skip an unfinished offset.
 */
export class OffsetTracker {
  private readonly offsets: bigint[];
  private readonly finished = new Set<bigint>();
  private next = 0;

  constructor(offsets: readonly string[]) {
    this.offsets = offsets.map((o) => BigInt(o)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Marks offsets finished; returns the new commit watermark (last contiguous finished offset) if it moved. */
  finish(offsets: readonly string[]): string | undefined {
    for (const o of offsets) this.finished.add(BigInt(o));
    const before = this.next;
    while (this.next < this.offsets.length && this.finished.has(this.offsets[this.next])) this.next += 1;
    return this.next > before ? this.offsets[this.next - 1].toString() : undefined;
  }

  /** The last offset that may be committed, or undefined when the first one is still open. */
  get watermark(): string | undefined {
    return this.next === 0 ? undefined : this.offsets[this.next - 1].toString();
  }

  get complete(): boolean {
    return this.next === this.offsets.length;
  }
}
