/** Every topic mainspring reads or writes. Consumed topics get a dead-letter twin `<topic>.dlq`. */
export const TOPICS = {
  paymentsInitiated: 'payments.initiated',
  paymentsLabeled: 'payments.labeled',
  paymentsScored: 'payments.scored',
  paymentsFlagged: 'payments.flagged',
  paymentsFlagRetracted: 'payments.flag-retracted',
  modelDriftDetected: 'model.drift-detected',
  modelRetrainRequested: 'model.retrain-requested',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export const CONSUMED_TOPICS: readonly TopicName[] = [
  TOPICS.paymentsInitiated,
  TOPICS.paymentsLabeled,
  TOPICS.modelDriftDetected,
  TOPICS.modelRetrainRequested,
];

export const dlqTopic = (topic: string): string => `${topic}.dlq`;

export const ALL_TOPICS: readonly string[] = [...Object.values(TOPICS), ...CONSUMED_TOPICS.map(dlqTopic)];
