// What activities ask of their Temporal context, safe to call outside one: tests and scripts call activities directly.
import { Context } from '@temporalio/activity';

/** Heartbeats when running as an activity; a no-op when called directly (tests, scripts). */
export function beat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not inside an activity
  }
}

/** The activity's cancellation signal (worker shutdown, cancel request); none outside an activity. */
export function activitySignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}
