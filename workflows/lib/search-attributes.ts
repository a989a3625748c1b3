import type { SearchAttributeType, SearchAttributeUpdatePair } from '@temporalio/common';

// The keys the payment saga writes, re-declared here because workflow code may only import @temporalio/workflow:
// `defineSearchAttributeKey` lives in @temporalio/common. A key is a plain { name, type } object, so these are the same
// values src/temporal/search-attributes.ts builds (test/workflows/payment-saga.test.ts checks they stay equal).
type Key<T extends SearchAttributeType> = Extract<SearchAttributeUpdatePair, { key: { type: T } }>['key'];
const key = <T extends SearchAttributeType>(name: string, type: T): Key<T> => ({ name, type }) as Key<T>;

export const SAGA_SEARCH_ATTRIBUTES = {
  PaymentId: key('PaymentId', 'KEYWORD'),
  /** Keyed hash of the user id (src/security/pseudonymize.ts), computed by the enrichment activity; never the raw id. */
  UserId: key('UserId', 'KEYWORD'),
  Decision: key('Decision', 'KEYWORD'),
  RiskScore: key('RiskScore', 'DOUBLE'),
  ModelVersion: key('ModelVersion', 'KEYWORD'),
} as const;
