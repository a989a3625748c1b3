// The loop's inputs: label, drift and retrain-request batches from Kafka (through the bridge, at least once: each
// event id counted once) and retrain requests from people (a signal for the Temporal UI, an update for the CLI).
import { log, setHandler } from '@temporalio/workflow';
import { iso, now } from '../learning-cycle/steps';
import { driftDetectedSignal, labelsSignal, requestRetrainUpdate, retrainRequestedSignal, retrainSignal, type RetrainRequestResult } from './learning-loop.messages';
import { checkRetrainRequest, type RetrainRequest } from '../learning/requests';
import { acceptLabelEvents, freshEventIds } from '../learning/state';
import type { DriftFinding, LearningLoopState, ManualRequest, RefusedRequest } from '../learning/types';
import { refuse } from './decision-handlers';

export interface InputHandlerContext {
  s: LearningLoopState;
  /** Something changed that the main loop may act on. */
  wake(): void;
  onDrift(finding: DriftFinding): void;
  onManual(request: ManualRequest): RetrainRequestResult;
  recordRefused(r: Omit<RefusedRequest, 'at'>): void;
}

export function setInputHandlers(ctx: InputHandlerContext): void {
  const { s } = ctx;
  setHandler(labelsSignal, (batch) => {
    const events = Array.isArray(batch?.events) ? batch.events : [];
    const r = acceptLabelEvents(s, events);
    if (r.foreign > 0) log.warn('labels for another model ignored', { modelName: s.modelName, count: r.foreign });
    if (r.queued > 0) ctx.wake();
  });

  // Bridged events of this model not seen before (the bridge delivers at least once), each once.
  const eachFreshEvent = <D extends { modelName: string }>(batch: { events?: Array<{ envelope: { id: string; data: D } }> } | undefined, handle: (data: D, eventId: string) => void) => {
    const events = Array.isArray(batch?.events) ? batch.events : [];
    const fresh = freshEventIds(s, events.map((e) => e.envelope.id));
    for (const e of events) {
      if (fresh.delete(e.envelope.id) && e.envelope.data.modelName === s.modelName) handle(e.envelope.data, e.envelope.id);
    }
  };

  setHandler(driftDetectedSignal, (batch) => {
    eachFreshEvent(batch, (d, eventId) => {
      ctx.onDrift({ source: 'event', reportId: d.reportId, datasetDrift: d.datasetDrift, share: d.share, driftedFeatures: d.driftedFeatures, at: iso(now()), eventId });
    });
  });

  setHandler(retrainRequestedSignal, (batch) => {
    eachFreshEvent(batch, (d, eventId) => ctx.onManual({ requestedBy: d.requestedBy, reason: d.reason, force: false, at: iso(now()), eventId }));
  });

  const manualFrom = (r: RetrainRequest): ManualRequest => ({
    requestedBy: r.requestedBy.trim(),
    reason: r.reason?.trim() || 'manual retrain',
    force: r.force === true,
    at: iso(now()),
  });

  setHandler(retrainSignal, (request) => {
    const rejection = checkRetrainRequest(request);
    if (rejection) return ctx.recordRefused({ kind: 'retrain', ...rejection, from: (request as { requestedBy?: string })?.requestedBy });
    ctx.onManual(manualFrom(request));
  });

  setHandler(requestRetrainUpdate, (request) => ctx.onManual(manualFrom(request)), { validator: (request) => refuse(checkRetrainRequest(request)) });
}
