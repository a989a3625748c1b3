import type { ThrowawayStack } from '../../stack/throwaway';

export default async function globalTeardown(): Promise<void> {
  const throwaway = (globalThis as { __mainspringTestStack?: ThrowawayStack }).__mainspringTestStack;
  if (!throwaway) return;
  // MAINSPRING_KEEP_TEST_STACK=1 keeps the logs of a failed run for a look (services are stopped either way).
  if (process.env.MAINSPRING_KEEP_TEST_STACK) await throwaway.stack.down({ wipe: true });
  else await throwaway.down();
}
