// Keeps a ModelRuntime in step with the registry's aliases. Workers poll (default every second) instead of being
// told, so a promotion reaches every worker within seconds without any extra channel, and a worker that was down
// catches up on start. A version that fails to load is retried only after a back-off, and the model that was
// serving keeps serving meanwhile.

import { silentLogger, type ModelLogger } from './errors';
import type { ModelRuntime } from './runtime';

export interface AliasState {
  champion: string | null;
  shadow: string | null;
}

export interface ModelArtifact {
  bytes: Uint8Array;
  sha256: string;
}

/** Where aliases and artifacts come from (the registry in production, memory in tests). */
export interface AliasSource {
  poll(): Promise<AliasState>;
  load(version: string): Promise<ModelArtifact>;
  /** Cheap sha lookup so an already-loaded version is not downloaded again; optional. */
  sha256Of?(version: string): Promise<string | null>;
}

export interface AliasWatcherOptions {
  /** Poll interval; default 1000 ms (a new champion is served within a few seconds). */
  intervalMs?: number;
  /** A version that failed to load is not retried before this; default 30 s. */
  retryFailedAfterMs?: number;
  clock?: () => number;
  logger?: ModelLogger;
  onError?: (error: unknown, context: { alias: 'champion' | 'shadow' | 'poll'; version?: string }) => void;
}

export interface AliasSyncResult {
  ok: boolean;
  state: AliasState | null;
  champion: string | null;
  shadow: string | null;
}

export interface AliasWatcher {
  /** Settles after the first sync attempt; never rejects (check `ok`). */
  readonly ready: Promise<AliasSyncResult>;
  /** Runs one sync now (serialized with the polling loop). */
  syncNow(): Promise<AliasSyncResult>;
  /** Stops polling and waits for an in-flight sync to finish. */
  stop(): Promise<void>;
}

export function startAliasWatcher(runtime: ModelRuntime, source: AliasSource, options: AliasWatcherOptions = {}): AliasWatcher {
  const intervalMs = options.intervalMs ?? 1000;
  const retryAfter = options.retryFailedAfterMs ?? 30_000;
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const failedAt = new Map<string, number>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<AliasSyncResult> = Promise.resolve({ ok: true, state: null, champion: null, shadow: null });

  const report = (error: unknown, context: { alias: 'champion' | 'shadow' | 'poll'; version?: string }): void => {
    logger.warn({ err: error, ...context }, 'model alias sync failed');
    options.onError?.(error, context);
  };

  const shouldTry = (version: string): boolean => {
    const at = failedAt.get(version);
    return at === undefined || clock() - at >= retryAfter;
  };

  const apply = async (alias: 'champion' | 'shadow', version: string): Promise<boolean> => {
    if (!shouldTry(version)) return false;
    try {
      const set = (bytes: Uint8Array, sha256: string): Promise<void> =>
        alias === 'champion' ? runtime.setChampion(version, bytes, sha256) : runtime.setShadow(version, bytes, sha256);
      const knownSha = source.sha256Of ? await source.sha256Of(version) : null;
      let done = false;
      if (knownSha && runtime.isLoaded(version, knownSha)) {
        // Already in the session cache (e.g. the shadow being promoted): swap without downloading. If it was evicted
        // in the meantime the empty artifact is refused and we fall through to a download.
        done = await set(new Uint8Array(0), knownSha).then(() => true, () => false);
      }
      if (!done) {
        const artifact = await source.load(version);
        await set(artifact.bytes, artifact.sha256);
      }
      failedAt.delete(version);
      return true;
    } catch (err) {
      failedAt.set(version, clock());
      report(err, { alias, version });
      return false;
    }
  };

  const syncOnce = async (): Promise<AliasSyncResult> => {
    let state: AliasState;
    try {
      state = await source.poll();
    } catch (err) {
      report(err, { alias: 'poll' });
      return { ok: false, state: null, champion: runtime.championVersion, shadow: runtime.shadowVersion };
    }
    let ok = true;
    // Champion first: it is what decides payments. An alias that disappears does not unload the serving model.
    if (state.champion && state.champion !== runtime.championVersion) ok = (await apply('champion', state.champion)) && ok;
    if (state.shadow && state.shadow !== runtime.shadowVersion && state.shadow !== runtime.championVersion) {
      ok = (await apply('shadow', state.shadow)) && ok;
    } else if (!state.shadow && runtime.shadowVersion) await runtime.clearShadow();
    return { ok, state, champion: runtime.championVersion, shadow: runtime.shadowVersion };
  };

  const syncNow = (): Promise<AliasSyncResult> => {
    running = running.then(syncOnce, syncOnce);
    return running;
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      void syncNow().finally(schedule);
    }, intervalMs);
    // The watcher alone must not keep a process alive; shutdown is driven by the worker.
    timer.unref();
  };

  const ready = syncNow();
  void ready.finally(schedule);

  return {
    ready,
    syncNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
