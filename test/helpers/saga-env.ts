import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv } from './time-skipping';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';

/** temporal.api.enums.v1.IndexedValueType numbers (the proto package is not a direct dependency). */
const TYPE: Record<string, number> = { KEYWORD: 2, INT: 3, DOUBLE: 4 };

/**
 * A time-skipping environment that knows mainspring's search attributes. The test server rejects an upsert of an
 * unregistered attribute (the workflow task fails and is retried forever), exactly like a real cluster would, so the
 * saga's upserts are exercised against registered keys here too.
 */
export async function createSagaTestEnv(): Promise<TestWorkflowEnvironment> {
  const env = await createTimeSkippingEnv();
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTES).map((k) => [k.name, TYPE[k.type]])),
  });
  return env;
}
