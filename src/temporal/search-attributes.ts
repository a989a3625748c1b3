import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The search attributes of design.md; the stack manager registers them on the dev server at start. */
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

const CLI_TYPE_NAMES: Record<string, string> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.INT]: 'Int',
};

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export function searchAttributeCliArgs(): string[] {
  return Object.values(SEARCH_ATTRIBUTES).flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`]);
}
