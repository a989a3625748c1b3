import { rmSync } from 'node:fs';
import type { Stack } from '../../src/stack/manager';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __mainspringTestStack?: Stack }).__mainspringTestStack;
  if (!stack) return;
  await stack.down({ wipe: true });
  // MAINSPRING_KEEP_TEST_STACK=1 keeps the logs of a failed run for a look.
  if (!process.env.MAINSPRING_KEEP_TEST_STACK) rmSync(stack.home, { recursive: true, force: true });
}
