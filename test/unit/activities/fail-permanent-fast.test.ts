import { ApplicationFailure } from '@temporalio/activity';
import { failPermanentFast } from '../../../activities/shared';
import { NON_RETRYABLE_ERROR_TYPES, PERMANENT_FAILURES } from '../../../schemas/failures';

const withCode = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });

describe('failPermanentFast and the failure registry', () => {
  it.each(Object.keys(PERMANENT_FAILURES))('turns a %s error into a non-retryable failure of that type', async (code) => {
    const err = await failPermanentFast(() => Promise.reject(withCode(code))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: code, nonRetryable: true, message: `failed with ${code}` });
  });

  it('lets every other error through unchanged, for the retry policy to retry', async () => {
    const transient = withCode('ECONNRESET');
    await expect(failPermanentFast(() => Promise.reject(transient))).rejects.toBe(transient);
    await expect(failPermanentFast(async () => 42)).resolves.toBe(42);
  });

  it('gives retry policies every permanent code, and nothing else', () => {
    expect([...NON_RETRYABLE_ERROR_TYPES].sort()).toEqual(Object.keys(PERMANENT_FAILURES).sort());
  });
});
