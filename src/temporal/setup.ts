import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { GRPC, grpcCode } from './errors';
import { SEARCH_ATTRIBUTES } from './search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;

const INDEXED_TYPES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

export type SetupOutcome = 'created' | 'present';

export interface SearchAttributeMismatch {
  name: string;
  wanted: string;
  found: string;
}

export class TemporalSetupError extends Error {
  readonly code = 'TEMPORAL_SETUP_FAILED';
}

/**
 * Registers the namespace when it does not exist (a real cluster has none but `default`-less system namespaces; the
 * dev server creates its own from the command line). Retention applies only to a namespace created here.
 */
export async function ensureNamespace(connection: Connection, namespace: string, retentionDays: number): Promise<SetupOutcome> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return 'present';
  } catch (err) {
    if (grpcCode(err) !== GRPC.NOT_FOUND) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      description: 'mainspring: payment sagas, learning loops and replay jobs',
      workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`),
    });
  } catch (err) {
    if (grpcCode(err) === GRPC.ALREADY_EXISTS) return 'present';
    throw err;
  }
  return 'created';
}

/**
 * Adds mainspring's search attributes through the operator API, as a platform team does on a cluster (the SQL
 * visibility store maps each to a pre-allocated column; there are 10 Keyword, 3 Int and 3 Double per namespace).
 * An attribute that exists with another type is reported, never changed: workflows already write it.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<{ added: string[]; present: string[] }> {
  const listed = await whileNamespaceUnknown(() => connection.operatorService.listSearchAttributes({ namespace }), namespace);
  const existing = new Map<string, temporal.api.enums.v1.IndexedValueType>(Object.entries(listed.customAttributes ?? {}));
  const mismatches: SearchAttributeMismatch[] = [];
  const toAdd: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  const present: string[] = [];
  for (const key of Object.values(SEARCH_ATTRIBUTES)) {
    const wanted = INDEXED_TYPES[key.type];
    const found = existing.get(key.name);
    if (found === undefined) toAdd[key.name] = wanted;
    else if (found !== wanted) mismatches.push({ name: key.name, wanted: IndexedValueType[wanted], found: IndexedValueType[found] });
    else present.push(key.name);
  }
  if (mismatches.length > 0) {
    throw new TemporalSetupError(
      `search attributes registered with another type in namespace ${namespace}: ${mismatches.map((m) => `${m.name} is ${m.found}, mainspring writes ${m.wanted}`).join('; ')}`,
    );
  }
  const added = Object.keys(toAdd);
  if (added.length > 0) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: toAdd });
    } catch (err) {
      // Two setups at once: the other one added them.
      if (grpcCode(err) !== GRPC.ALREADY_EXISTS) throw err;
    }
  }
  return { added, present };
}

/**
 * A namespace registered a moment ago is unknown to the server's services until their namespace caches refresh
 * (seconds on a real server; the dev server has no such delay): retry NOT_FOUND for a bounded time.
 */
async function whileNamespaceUnknown<T>(call: () => Promise<T>, namespace: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (grpcCode(err) !== GRPC.NOT_FOUND || Date.now() > deadline) {
        if (grpcCode(err) === GRPC.NOT_FOUND) throw new TemporalSetupError(`namespace ${namespace} is still unknown to the server ${timeoutMs / 1000} s after it was registered`);
        throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
