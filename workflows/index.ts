// Every workflow the workers serve. Only workflow functions are exported here: the worker registers each exported
// function as a workflow type. Clients import messages from the *.messages.ts files.
export { paymentSaga } from './payment-saga/payment-saga.workflow';
export { learningLoop } from './learning-loop/learning-loop.workflow';
export { learningCycle } from './learning-cycle/learning-cycle.workflow';
export { replayJob } from './replay-job/replay-job.workflow';
