import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { dlqTopic } from './topics';

/** Header names of a dead-lettered record. The original value, key and headers are kept untouched. */
export const DLQ_HEADERS = {
  code: 'mainspring-error-code',
  message: 'mainspring-error-message',
  path: 'mainspring-error-path',
  originTopic: 'mainspring-origin-topic',
  originPartition: 'mainspring-origin-partition',
  originOffset: 'mainspring-origin-offset',
  firstFailureAt: 'mainspring-first-failure-at',
  replayCount: 'mainspring-replay-count',
} as const;

export interface DeadLetter {
  code: string;
  message: string;
  path?: string;
  origin: { topic: string; partition: number; offset: string };
  firstFailureAt: string;
}

const MAX_HEADER_MESSAGE = 1024;

/** Writes one refused record to `<topic>.dlq`, waiting for all in-sync replicas: the offset is committed after. */
export async function sendToDlq(producer: Producer, message: KafkaMessage, letter: DeadLetter): Promise<void> {
  const headers: IHeaders = { ...(message.headers ?? {}) };
  headers[DLQ_HEADERS.code] = letter.code;
  headers[DLQ_HEADERS.message] = letter.message.slice(0, MAX_HEADER_MESSAGE);
  if (letter.path) headers[DLQ_HEADERS.path] = letter.path;
  headers[DLQ_HEADERS.originTopic] = letter.origin.topic;
  headers[DLQ_HEADERS.originPartition] = String(letter.origin.partition);
  headers[DLQ_HEADERS.originOffset] = letter.origin.offset;
  // A record replayed and refused again keeps the time it first failed.
  headers[DLQ_HEADERS.firstFailureAt] = headerString(message.headers, DLQ_HEADERS.firstFailureAt) ?? letter.firstFailureAt;
  await producer.send({
    topic: dlqTopic(letter.origin.topic),
    acks: -1,
    messages: [{ key: message.key, value: message.value, headers, timestamp: message.timestamp }],
  });
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Reads the DLQ headers back (for `mainspring dlq list`). */
export function readDeadLetter(message: KafkaMessage): DeadLetter | undefined {
  const code = headerString(message.headers, DLQ_HEADERS.code);
  if (code === undefined) return undefined;
  return {
    code,
    message: headerString(message.headers, DLQ_HEADERS.message) ?? '',
    path: headerString(message.headers, DLQ_HEADERS.path),
    origin: {
      topic: headerString(message.headers, DLQ_HEADERS.originTopic) ?? '',
      partition: Number(headerString(message.headers, DLQ_HEADERS.originPartition) ?? -1),
      offset: headerString(message.headers, DLQ_HEADERS.originOffset) ?? '',
    },
    firstFailureAt: headerString(message.headers, DLQ_HEADERS.firstFailureAt) ?? '',
  };
}
