// Entry of the learning compute thread (compute-pool.ts starts it): runs the tasks it is sent and answers with their
// result, progress or error. It has its own small PostgreSQL pool (opened on the first reading task), so the rows
// are parsed here and only matrices cross back. It never touches Temporal.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createDb, type DbHandle } from '../db/client';
import { ComputeError, runComputeTask, serializeError, type ComputeTask } from './learning-compute';

export interface ComputeThreadData {
  /** PostgreSQL of the reading tasks; without it they fail with COMPUTE_NO_DATABASE. */
  databaseUrl?: string;
  /** Nice value of this thread (Linux only, where it is per thread); undefined leaves it as is. */
  niceness?: number;
}

export type ComputeRequest = { type: 'task'; id: number; task: ComputeTask } | { type: 'close' };

export type ComputeResponse =
  | { id: number; type: 'result'; result: unknown }
  | { id: number; type: 'progress'; progress: unknown }
  | { id: number; type: 'error'; error: ReturnType<typeof serializeError> }
  | { type: 'closed' };

const port = parentPort;
if (!port) throw new Error('compute-thread runs only as a worker thread (src/model/compute-pool.ts)');
const { databaseUrl, niceness } = (workerData ?? {}) as ComputeThreadData;
// On Linux a nice value belongs to the calling thread only: a retrain then takes the CPU the sagas, Temporal, Kafka
// and PostgreSQL leave on a small machine instead of competing with them. Elsewhere it would renice the process.
if (process.platform === 'linux' && niceness !== undefined) {
  try {
    setPriority(niceness);
  } catch {
    // not allowed here: run at the inherited priority
  }
}
let database: DbHandle | undefined;

function db(): DbHandle['db'] {
  if (!databaseUrl) throw new ComputeError('COMPUTE_NO_DATABASE', 'the learning compute thread was started without a database URL');
  database ??= createDb(databaseUrl, { max: 2 });
  return database.db;
}

port.on('message', async (request: ComputeRequest) => {
  const reply = (response: ComputeResponse) => port.postMessage(response);
  if (request.type === 'close') {
    await database?.close().catch(() => undefined);
    reply({ type: 'closed' });
    return;
  }
  try {
    const result = await runComputeTask(request.task, db, (progress) => reply({ id: request.id, type: 'progress', progress }));
    reply({ id: request.id, type: 'result', result });
  } catch (err) {
    reply({ id: request.id, type: 'error', error: serializeError(err) });
  }
});
