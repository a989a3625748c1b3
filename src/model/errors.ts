// Errors of the model area. Each carries a stable `code` that activities, the CLI and logs can switch on.

export type ModelArtifactErrorCode =
  /** Bytes do not match their sha256 or are not a decodable ONNX model. */
  | 'MODEL_ARTIFACT_CORRUPT'
  /** Decodes, but is not a model this runtime can serve (contract, session creation or warm-up failed). */
  | 'MODEL_ARTIFACT_INVALID'
  /** Built for another feature spec version than this build serves. */
  | 'MODEL_FEATURE_SPEC_MISMATCH'
  /** Artifact metadata names another model or version than the one it is being loaded as. */
  | 'MODEL_IDENTITY_MISMATCH';

/** An artifact was refused; whatever was serving before keeps serving. */
export class ModelArtifactError extends Error {
  readonly code: ModelArtifactErrorCode;
  readonly version: string | undefined;
  constructor(code: ModelArtifactErrorCode, message: string, options: { version?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModelArtifactError';
    this.code = code;
    this.version = options.version;
  }
}

export class ScoreInputError extends Error {
  readonly code = 'SCORE_INPUT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ScoreInputError';
  }
}

export type ModelRegistryErrorCode =
  | 'MODEL_VERSION_NOT_FOUND'
  | 'MODEL_VERSION_EXISTS'
  | 'MODEL_NO_PREVIOUS'
  | 'MODEL_NO_CHAMPION'
  | 'MODEL_VERSION_INVALID';

export class ModelRegistryError extends Error {
  readonly code: ModelRegistryErrorCode;
  constructor(code: ModelRegistryErrorCode, message: string) {
    super(message);
    this.name = 'ModelRegistryError';
    this.code = code;
  }
}

/** pino-compatible subset, so the model area needs no logger dependency; default is silent. */
export interface ModelLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: ModelLogger = { info: () => {}, warn: () => {}, error: () => {} };
