import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The search attributes of design.md; `mainspring setup` (and `stack up`) add them through the operator API. */
export const SEARCH_ATTRIBUTES = {
  CorrelationId: defineSearchAttributeKey('CorrelationId', SearchAttributeType.KEYWORD),
  PaymentId: defineSearchAttributeKey('PaymentId', SearchAttributeType.KEYWORD),
  UserId: defineSearchAttributeKey('UserId', SearchAttributeType.KEYWORD),
  Decision: defineSearchAttributeKey('Decision', SearchAttributeType.KEYWORD),
  RiskScore: defineSearchAttributeKey('RiskScore', SearchAttributeType.DOUBLE),
  ModelVersion: defineSearchAttributeKey('ModelVersion', SearchAttributeType.KEYWORD),
  KafkaTopic: defineSearchAttributeKey('KafkaTopic', SearchAttributeType.KEYWORD),
  KafkaPartition: defineSearchAttributeKey('KafkaPartition', SearchAttributeType.INT),
  KafkaOffset: defineSearchAttributeKey('KafkaOffset', SearchAttributeType.INT),
  LearningPhase: defineSearchAttributeKey('LearningPhase', SearchAttributeType.KEYWORD),
} as const;
