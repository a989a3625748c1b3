/** Polls until `check` returns a value that satisfies `done`, or fails with the last value seen. */
export async function eventually<T>(check: () => Promise<T>, done: (value: T) => boolean, { timeoutMs = 60_000, intervalMs = 250, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what} not reached in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
}
