export const TASK_QUEUES = {
  payments: 'payments',
  learning: 'learning',
} as const;

export type TaskQueueName = (typeof TASK_QUEUES)[keyof typeof TASK_QUEUES];
