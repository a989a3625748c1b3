import type { IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { decodeRecord, encodeRecord, recordEventId } from './cloudevents-binding';
import { headerString, readTopicSnapshot, type TopicRecord } from './topic-snapshot';
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


/** Reads the DLQ headers back (for `mainspring dlq list`). */
export function readDeadLetter(message: Pick<KafkaMessage, 'headers'>): DeadLetter | undefined {
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

export interface DlqRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: IHeaders;
  /** The original record's timestamp (kept by sendToDlq): an event without `time` takes it. */
  timestamp?: string;
  letter: DeadLetter;
  /** The event id when the record has one (`ce_id` header or JSON `id`; for `--ids` filtering). */
  eventId?: string;
}

/** Reads a DLQ topic from the beginning up to its current end (a snapshot), without committing anything. */
export async function readDlq(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<DlqRecord[]> {
  const records = (await readTopicSnapshot(kafka, topic, { timeoutMs, groupPrefix: 'mainspring-dlq-reader' })).map(toDlqRecord);
  return records.sort((a, b) => a.letter.firstFailureAt.localeCompare(b.letter.firstFailureAt) || a.partition - b.partition);
}

function toDlqRecord(message: TopicRecord): DlqRecord {
  // Without a readable id (not JSON, no ce_id) a record cannot be filtered by id.
  const eventId = recordEventId(message);
  return {
    partition: message.partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: message.value,
    headers: message.headers,
    timestamp: message.timestamp,
    letter: readDeadLetter(message) ?? { code: 'UNKNOWN', message: 'record has no mainspring DLQ headers', origin: { topic: '', partition: -1, offset: '' }, firstFailureAt: '' },
    eventId,
  };
}

export interface ReplayOutcome {
  replayed: Array<{ eventId: string; topic: string }>;
  stillInvalid: Array<{ partition: number; offset: string; code: string; message: string }>;
}

/**
 * Re-validates DLQ records with today's contracts, upcasts them, and sends them back to their origin topic with
 * the same event id: an event that was processed meanwhile hits AlreadyStarted and starts nothing new.
 */
export async function replayDlq(producer: Producer, records: readonly DlqRecord[], options: { maxEventBytes?: number } = {}): Promise<ReplayOutcome> {
  const outcome: ReplayOutcome = { replayed: [], stillInvalid: [] };
  for (const record of records) {
    // The original headers tell the content mode (binary, structured, plain) as they told the bridge.
    const parsed = decodeRecord({ key: record.key, value: record.value ?? Buffer.alloc(0), headers: record.headers, timestamp: record.timestamp }, { maxBytes: options.maxEventBytes });
    if (!parsed.ok) {
      outcome.stillInvalid.push({ partition: record.partition, offset: record.offset, code: parsed.code, message: parsed.message });
      continue;
    }
    const topic = record.letter.origin.topic;
    const replayCount = Number(headerString(record.headers, DLQ_HEADERS.replayCount) ?? 0) + 1;
    // Sent back complete (defaults filled in, upcast), in structured mode whatever mode it arrived in.
    const replayed = encodeRecord({ ...parsed.envelope, data: parsed.data }, 'structured');
    await producer.send({
      topic,
      acks: -1,
      messages: [{ ...replayed, headers: { ...replayed.headers, [DLQ_HEADERS.replayCount]: String(replayCount), [DLQ_HEADERS.firstFailureAt]: record.letter.firstFailureAt } }],
    });
    outcome.replayed.push({ eventId: parsed.envelope.id, topic });
  }
  return outcome;
}
