import type { SearchAttributePair } from '@temporalio/common';
import type { EventType, LatestEventData, MainspringEvent } from '../../schemas';
import type { BridgedEvent } from '../../schemas/bridged-event';

interface RouteBase<K extends EventType> {
  topic: string;
  /** The event type this topic carries; any other type is dead-lettered as ROUTE_MISMATCH. */
  eventType: K;
  workflowType: string;
  taskQueue: string;
  workflowId(event: MainspringEvent<K>): string;
}

/** One workflow per event (e.g. a payment saga per payment). Re-delivery hits AlreadyStarted: accepted. */
export interface StartRoute<K extends EventType = EventType> extends RouteBase<K> {
  mode: 'start';
  searchAttributes?(event: MainspringEvent<K>): SearchAttributePair[];
  /** One line shown for the workflow in the Temporal UI, e.g. `payment p-123 · 950.00 EUR`. */
  summary?(event: MainspringEvent<K>): string;
}

/** Events of one entity batched into a signal, starting the entity workflow if needed (e.g. labels → learning). */
export interface SignalWithStartRoute<K extends EventType = EventType> extends RouteBase<K> {
  mode: 'signalWithStart';
  signal: string;
  /** Arguments to start the entity workflow with when it does not exist yet. */
  startArgs(workflowId: string, event: MainspringEvent<K>): unknown[];
  /** Most events per signal; larger groups are split. */
  maxBatch: number;
}

export type Route = StartRoute | SignalWithStartRoute;

/**
 * A bridged event as the bridge handles it across routes: the data is one of the latest contract types (the record's
 * type equals its route's `eventType`, checked when the record is read); `startRoute` and `EventBatchSignal` tie the
 * type of one route to its workflow at compile time.
 */
export type AnyBridgedEvent = BridgedEvent<LatestEventData[EventType]>;

/** A workflow function that can take the bridged event of type K as its input. */
type StartableBy<K extends EventType> = (input: BridgedEvent<LatestEventData[K]>) => Promise<unknown>;

/**
 * A start route tied to the type of the workflow it starts: the bridge hands the workflow the bridged event of the
 * route's event type, and this refuses to compile when the workflow's input does not take it (a contract change the
 * workflow was not updated for), instead of failing at runtime. Usage: `startRoute<typeof paymentSaga>()({ … })`.
 */
export function startRoute<W extends (input: never) => Promise<unknown>>() {
  return <K extends EventType>(route: StartRoute<K> & (W extends StartableBy<K> ? unknown : { workflowInputMismatch: never })): StartRoute<K> => route;
}

/** The signal payload of a signalWithStart route. */
export interface EventBatchSignal<K extends EventType> {
  events: Array<BridgedEvent<LatestEventData[K]>>;
}
