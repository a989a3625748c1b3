// Entry of the learning compute thread (compute-pool.ts starts it): runs one task per message, in arrival order,
// and answers with its result, its progress or its error. Nothing here touches the database or Temporal.
import { parentPort } from 'node:worker_threads';
import { runComputeTask, serializeError, type ComputeTask } from './learning-compute';

export interface ComputeRequest {
  id: number;
  task: ComputeTask;
}

export type ComputeResponse =
  | { id: number; type: 'result'; result: unknown }
  | { id: number; type: 'progress'; progress: unknown }
  | { id: number; type: 'error'; error: ReturnType<typeof serializeError> };

const port = parentPort;
if (!port) throw new Error('compute-thread runs only as a worker thread (src/model/compute-pool.ts)');

port.on('message', (request: ComputeRequest) => {
  const reply = (response: ComputeResponse) => port.postMessage(response);
  try {
    const result = runComputeTask(request.task, (progress) => reply({ id: request.id, type: 'progress', progress }));
    reply({ id: request.id, type: 'result', result });
  } catch (err) {
    reply({ id: request.id, type: 'error', error: serializeError(err) });
  }
});
