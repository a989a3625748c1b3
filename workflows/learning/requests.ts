// Validation of what people send the loop (approve / reject / retrain / config changes). Used by the update
// validators (a refused update never reaches history) and by the signal handlers (a refused signal is recorded in
// the status instead). Pure.

import { normalizeIdentity, resolveLearningConfig, type LearningLoopConfig, type LearningLoopConfigInput } from './config';

export interface PromotionDecisionRequest {
  /** The candidate version awaiting approval, e.g. "fraud-v4". */
  version: string;
  /** Who decides; must be in the model's approval.approvers allow-list. */
  approver: string;
  reason?: string;
}

export interface RetrainRequest {
  requestedBy: string;
  reason?: string;
  /** Skip the cooldown (a cycle already running still finishes first). */
  force?: boolean;
}

export interface ConfigChangeRequest {
  changedBy: string;
  config: LearningLoopConfigInput;
}

export type RequestRejectionCode =
  | 'REQUEST_INVALID'
  | 'NO_PENDING_APPROVAL'
  | 'VERSION_MISMATCH'
  | 'APPROVER_MISSING'
  | 'APPROVER_NOT_ALLOWED'
  | 'NO_APPROVERS_CONFIGURED'
  | 'REASON_INVALID'
  | 'REQUESTER_MISSING'
  | 'CONFIG_INVALID';

export interface RequestRejection {
  code: RequestRejectionCode;
  message: string;
}

const MAX_REASON = 500;
const MAX_IDENTITY = 128;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function identity(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' || t.length > MAX_IDENTITY ? null : t;
}

/**
 * Checks an approve/reject request against the pending approval. `awaiting` is the candidate version waiting for a
 * decision (null: nothing is waiting).
 */
export function checkPromotionDecision(request: unknown, awaiting: string | null, approvers: readonly string[]): RequestRejection | null {
  if (!isObject(request)) {
    return { code: 'REQUEST_INVALID', message: 'expected an object like {"version":"fraud-v4","approver":"alice@example.com","reason":"…"}' };
  }
  if (awaiting === null) return { code: 'NO_PENDING_APPROVAL', message: 'no promotion is awaiting approval' };
  if (typeof request.version !== 'string' || request.version.trim() === '') {
    return { code: 'REQUEST_INVALID', message: `"version" is required (the candidate awaiting approval is ${awaiting})` };
  }
  if (request.version.trim() !== awaiting) {
    return { code: 'VERSION_MISMATCH', message: `version ${request.version} is not awaiting approval; the candidate is ${awaiting}` };
  }
  const approver = identity(request.approver);
  if (approver === null) return { code: 'APPROVER_MISSING', message: `"approver" must name who decides (1-${MAX_IDENTITY} characters)` };
  if (approvers.length === 0) {
    return { code: 'NO_APPROVERS_CONFIGURED', message: 'no approvers are configured for this model (set approval.approvers with updateConfig)' };
  }
  if (!approvers.includes(normalizeIdentity(approver))) {
    return { code: 'APPROVER_NOT_ALLOWED', message: `${approver} is not an approver of this model` };
  }
  if (request.reason !== undefined && (typeof request.reason !== 'string' || request.reason.length > MAX_REASON)) {
    return { code: 'REASON_INVALID', message: `"reason" must be text of at most ${MAX_REASON} characters` };
  }
  return null;
}

export function checkRetrainRequest(request: unknown): RequestRejection | null {
  if (!isObject(request)) return { code: 'REQUEST_INVALID', message: 'expected an object like {"requestedBy":"alice@example.com","reason":"…"}' };
  if (identity(request.requestedBy) === null) {
    return { code: 'REQUESTER_MISSING', message: `"requestedBy" must name who asks (1-${MAX_IDENTITY} characters)` };
  }
  if (request.reason !== undefined && (typeof request.reason !== 'string' || request.reason.length > MAX_REASON)) {
    return { code: 'REASON_INVALID', message: `"reason" must be text of at most ${MAX_REASON} characters` };
  }
  if (request.force !== undefined && typeof request.force !== 'boolean') return { code: 'REQUEST_INVALID', message: '"force" must be true or false' };
  return null;
}

export function checkConfigChange(request: unknown, current: LearningLoopConfig): RequestRejection | null {
  if (!isObject(request)) return { code: 'REQUEST_INVALID', message: 'expected {"changedBy":"…","config":{…}}' };
  if (identity(request.changedBy) === null) return { code: 'REQUESTER_MISSING', message: '"changedBy" must name who changes the configuration' };
  if (!isObject(request.config)) return { code: 'REQUEST_INVALID', message: '"config" must be an object' };
  const { problems } = resolveLearningConfig(request.config as LearningLoopConfigInput, current);
  return problems.length > 0 ? { code: 'CONFIG_INVALID', message: problems.join('; ') } : null;
}
