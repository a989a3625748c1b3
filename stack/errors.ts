/** A stack problem a person can act on: what went wrong and what to try. */
export class StackError extends Error {
  constructor(
    readonly code:
      | 'NOT_INSTALLED'
      | 'JAVA_MISSING'
      | 'START_FAILED'
      | 'UNHEALTHY'
      | 'STOP_FAILED',
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n  → ${hint}` : message);
    this.name = 'StackError';
  }
}
