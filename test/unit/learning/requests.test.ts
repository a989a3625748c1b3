import { resolveLearningConfig } from '../../../workflows/learning/config';
import { checkConfigChange, checkPromotionDecision, checkRetrainRequest } from '../../../workflows/learning/requests';

const approvers = ['alice@example.com'];

describe('promotion decision requests', () => {
  it('accepts the candidate version from an allowed approver (case-insensitive, trimmed)', () => {
    expect(checkPromotionDecision({ version: 'fraud-v4', approver: ' Alice@Example.com ', reason: 'ok' }, 'fraud-v4', approvers)).toBeNull();
  });

  it.each([
    ['not an object', 'approve', 'fraud-v4', 'REQUEST_INVALID'],
    ['nothing waiting', { version: 'fraud-v4', approver: 'alice@example.com' }, null, 'NO_PENDING_APPROVAL'],
    ['no version', { approver: 'alice@example.com' }, 'fraud-v4', 'REQUEST_INVALID'],
    ['another version', { version: 'fraud-v3', approver: 'alice@example.com' }, 'fraud-v4', 'VERSION_MISMATCH'],
    ['no approver', { version: 'fraud-v4', approver: '' }, 'fraud-v4', 'APPROVER_MISSING'],
    ['approver not allowed', { version: 'fraud-v4', approver: 'mallory@example.com' }, 'fraud-v4', 'APPROVER_NOT_ALLOWED'],
    ['reason too long', { version: 'fraud-v4', approver: 'alice@example.com', reason: 'x'.repeat(501) }, 'fraud-v4', 'REASON_INVALID'],
  ])('refuses: %s', (_what, request, awaiting, code) => {
    expect(checkPromotionDecision(request, awaiting, approvers)?.code).toBe(code);
  });

  it('an empty allow-list lets nobody approve, and says how to fix it', () => {
    expect(checkPromotionDecision({ version: 'v', approver: 'alice' }, 'v', [])).toEqual({
      code: 'NO_APPROVERS_CONFIGURED',
      message: 'no approvers are configured for this model (set approval.approvers with updateConfig)',
    });
  });
});

describe('retrain and configuration requests', () => {
  it('retrain needs who asks', () => {
    expect(checkRetrainRequest({ requestedBy: 'ops', reason: 'x', force: true })).toBeNull();
    expect(checkRetrainRequest({ reason: 'x' })?.code).toBe('REQUESTER_MISSING');
    expect(checkRetrainRequest({ requestedBy: 'ops', force: 'yes' })?.code).toBe('REQUEST_INVALID');
  });

  it('configuration changes are validated against the running configuration', () => {
    const current = resolveLearningConfig(undefined).config;
    expect(checkConfigChange({ changedBy: 'admin', config: { approval: { approvers: ['bob'] } } }, current)).toBeNull();
    expect(checkConfigChange({ changedBy: 'admin', config: { triggers: { cooldown: 'later' } } }, current)?.code).toBe('CONFIG_INVALID');
    expect(checkConfigChange({ config: {} }, current)?.code).toBe('REQUESTER_MISSING');
  });
});
