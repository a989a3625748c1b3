// The failure codes activities raise and workflows' retry policies read: one list, so an activity that calls a code
// permanent and the option profile that must stop retrying it cannot drift apart. Pure data (workflow code imports it).

/** Every code whose failure no retry can fix, with what it means. Add codes; never rename them (histories keep them). */
export const PERMANENT_FAILURES = {
  CONTRACT_VIOLATION: 'an event or record broke its contract',
  ENVELOPE_INVALID: 'an event envelope is invalid',
  FEATURE_INPUT_INVALID: 'the input to feature computation is invalid',
  FEATURE_SPEC_MISMATCH: 'this build computes another feature spec version than asked for',
  SCORE_INPUT_INVALID: 'the input to scoring is invalid',
  MODEL_VERSION_NOT_FOUND: 'the model version is not registered',
  MODEL_VERSION_INVALID: 'the model version is invalid',
  MODEL_NO_PREVIOUS: 'there is no previous champion to roll back to',
  MODEL_NO_CHAMPION: 'the model has no champion',
  TRAINING_INPUT_INVALID: 'the training input is invalid',
  LearningInputInvalid: 'a learning activity was called with invalid input',
  ReplayInputInvalid: 'a replay job was started with invalid parameters',
} as const;

export type PermanentFailureCode = keyof typeof PERMANENT_FAILURES;

/** For retry policies' `nonRetryableErrorTypes`. */
export const NON_RETRYABLE_ERROR_TYPES: readonly PermanentFailureCode[] = Object.keys(PERMANENT_FAILURES) as PermanentFailureCode[];

export function isPermanentFailure(code: unknown): code is PermanentFailureCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(PERMANENT_FAILURES, code);
}
