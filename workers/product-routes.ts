import { PAYMENT_SAGA_WORKFLOW_TYPE } from '../workflows/payment-saga/payment-saga.messages';
import type { paymentSaga } from '../workflows/payment-saga/payment-saga.workflow';
import { LEARNING_LOOP_WORKFLOW_TYPE, LEARNING_SIGNALS, learningWorkflowId, type LearningLoopInput } from '../workflows/learning-loop/learning-loop.messages';
import { pseudonymize } from '../src/security/pseudonymize';
import { SEARCH_ATTRIBUTES } from '../src/temporal/search-attributes';
import { TASK_QUEUES } from '../src/temporal/task-queues';
import { startRoute, type Route } from '../src/kafka/routes';
import { TOPICS } from '../src/kafka/topics';

/** Events for a model's learning loop are batched per model into one signal (labels arrive in thousands). */
const LEARNING_BATCH = 500;

/** The topics mainspring consumes and the workflows they drive. */
export function productRoutes(options: { piiHashKey: string; defaultModelName?: string; approvers?: readonly string[] }): Route[] {
  const defaultModel = options.defaultModelName ?? 'fraud';
  const modelOf = (event: { data: unknown }) => (event.data as { modelName?: string }).modelName ?? defaultModel;
  const learningRoute = (topic: string, eventType: 'payments.labeled' | 'model.drift-detected' | 'model.retrain-requested', signal: string): Route => ({
    mode: 'signalWithStart',
    topic,
    eventType,
    workflowType: LEARNING_LOOP_WORKFLOW_TYPE,
    taskQueue: TASK_QUEUES.learning,
    workflowId: (event) => learningWorkflowId(modelOf(event)),
    signal,
    // Only a loop started here gets these approvers; a running loop keeps its own (`mainspring learning configure`).
    startArgs: (_id, event): [LearningLoopInput] => [{ modelName: modelOf(event), config: { approval: { approvers: [...(options.approvers ?? [])] } } }],
    maxBatch: LEARNING_BATCH,
  });
  return [
    startRoute<typeof paymentSaga>()({
      mode: 'start',
      topic: TOPICS.paymentsInitiated,
      eventType: 'payments.initiated',
      workflowType: PAYMENT_SAGA_WORKFLOW_TYPE,
      taskQueue: TASK_QUEUES.payments,
      workflowId: (event) => `payment-${event.envelope.id}`,
      summary: ({ data }) => `payment ${data.paymentId} · ${data.amount.toFixed(2)} ${data.currency}`,
      searchAttributes: ({ data }) => [
        { key: SEARCH_ATTRIBUTES.PaymentId, value: data.paymentId },
        { key: SEARCH_ATTRIBUTES.UserId, value: pseudonymize(data.userId, options.piiHashKey) },
      ],
    }),
    learningRoute(TOPICS.paymentsLabeled, 'payments.labeled', LEARNING_SIGNALS.labels),
    learningRoute(TOPICS.modelDriftDetected, 'model.drift-detected', LEARNING_SIGNALS.driftDetected),
    learningRoute(TOPICS.modelRetrainRequested, 'model.retrain-requested', LEARNING_SIGNALS.retrainRequested),
  ];
}
