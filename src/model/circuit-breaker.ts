// Circuit breaker around model inference. Scoring sits on the payment path: when ONNX keeps failing or is too slow,
// we stop calling it for a while and let the rules decide, then let a single probe through to test recovery.
//   closed ──(N consecutive failures | M consecutive slow calls)──► open ──(openDurationMs)──► half-open
//   half-open ──(probe ok, K times)──► closed        half-open ──(probe fails or is slow)──► open

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failed calls that open the breaker; default 5. */
  failureThreshold?: number;
  /** Consecutive calls over the latency budget that open the breaker; default 5. */
  slowCallThreshold?: number;
  /** A call slower than this counts as slow; default 50 ms. */
  latencyBudgetMicros?: number;
  /** How long to stay open before letting a probe through; default 5 s. */
  openDurationMs?: number;
  /** Successful probes needed to close again; default 1. */
  halfOpenSuccesses?: number;
  /** Millisecond clock; inject for tests. */
  clock?: () => number;
  onStateChange?: (from: BreakerState, to: BreakerState, reason: string) => void;
}

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  consecutiveSlowCalls: number;
  openedAt: number | null;
  lastOpenReason: string | null;
  timesOpened: number;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private slowCalls = 0;
  private probeSuccesses = 0;
  private probeInFlight = false;
  private openedAt: number | null = null;
  private lastOpenReason: string | null = null;
  private timesOpened = 0;
  private readonly clock: () => number;
  readonly failureThreshold: number;
  readonly slowCallThreshold: number;
  readonly latencyBudgetMicros: number;
  readonly openDurationMs: number;
  readonly halfOpenSuccesses: number;

  constructor(private readonly options: CircuitBreakerOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.failureThreshold = options.failureThreshold ?? 5;
    this.slowCallThreshold = options.slowCallThreshold ?? 5;
    this.latencyBudgetMicros = options.latencyBudgetMicros ?? 50_000;
    this.openDurationMs = options.openDurationMs ?? 5_000;
    this.halfOpenSuccesses = options.halfOpenSuccesses ?? 1;
  }

  /** State as of now (an open breaker whose wait is over reports half-open). */
  get state(): BreakerState {
    if (this.current === 'open' && this.openedAt !== null && this.clock() - this.openedAt >= this.openDurationMs) {
      this.transition('half-open', 'open duration elapsed');
    }
    return this.current;
  }

  /** Whether a call may go to the model now. In half-open only one probe at a time is let through. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  recordSuccess(latencyMicros: number, budgetMicros = this.latencyBudgetMicros): void {
    const wasProbe = this.current === 'half-open';
    this.probeInFlight = false;
    this.failures = 0;
    if (latencyMicros > budgetMicros) {
      this.slowCalls++;
      if (wasProbe) this.open(`probe slow: ${Math.round(latencyMicros)} µs > ${budgetMicros} µs`);
      else if (this.current === 'closed' && this.slowCalls >= this.slowCallThreshold) {
        this.open(`${this.slowCalls} consecutive calls over ${budgetMicros} µs`);
      }
      return;
    }
    this.slowCalls = 0;
    if (wasProbe && ++this.probeSuccesses >= this.halfOpenSuccesses) this.transition('closed', 'probe succeeded');
  }

  recordFailure(error?: unknown): void {
    const wasProbe = this.current === 'half-open';
    this.probeInFlight = false;
    this.failures++;
    const detail = error instanceof Error ? `: ${error.message}` : '';
    if (wasProbe) this.open(`probe failed${detail}`);
    else if (this.current === 'closed' && this.failures >= this.failureThreshold) {
      this.open(`${this.failures} consecutive failures${detail}`);
    }
  }

  /** Back to closed with clean counters (e.g. after a new champion is loaded and warmed up). */
  reset(reason = 'reset'): void {
    this.failures = 0;
    this.slowCalls = 0;
    this.probeInFlight = false;
    if (this.current !== 'closed') this.transition('closed', reason);
  }

  snapshot(): BreakerSnapshot {
    return {
      state: this.state,
      consecutiveFailures: this.failures,
      consecutiveSlowCalls: this.slowCalls,
      openedAt: this.openedAt,
      lastOpenReason: this.lastOpenReason,
      timesOpened: this.timesOpened,
    };
  }

  private open(reason: string): void {
    this.openedAt = this.clock();
    this.lastOpenReason = reason;
    this.timesOpened++;
    this.transition('open', reason);
  }

  private transition(to: BreakerState, reason: string): void {
    const from = this.current;
    if (from === to && to !== 'open') return;
    this.current = to;
    if (to === 'half-open') this.probeSuccesses = 0;
    if (to === 'closed') {
      this.openedAt = null;
      this.failures = 0;
      this.slowCalls = 0;
    }
    this.options.onStateChange?.(from, to, reason);
  }
}
