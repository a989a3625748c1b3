import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Producer } from 'kafkajs';
import { loadConfig } from '../../src/config/env';
import { createKafka } from '../../src/kafka/client';
import { connectProducer, sendRecords } from '../../src/kafka/producer';
import { liveSyntheticPayments, paced, syntheticPaymentEvent } from '../../src/kafka/synthetic-stream';
import { TOPICS } from '../../src/kafka/topics';
import { createTracing, SERVICE_NAMES, startProducerSpan, type Tracing } from '../../src/observability/tracing';
import { CliUsageError } from '../output';
import { positiveInt, positiveNumber } from '../options';

interface ProduceOptions {
  file?: string;
  synthetic?: number;
  rate: number;
  seed: number;
  topic: string;
}

export function registerProduceCommand(program: Command): void {
  program
    .command('produce')
    .description('produce events to Kafka: lines of an NDJSON file as they are, or synthetic payments')
    .option('--file <path>', 'NDJSON file, one event per line (sent unchanged, so bad events reach the DLQ too)')
    .option('--synthetic <n>', 'generate n synthetic payments.initiated events', positiveInt('--synthetic'))
    .option('--rate <perSecond>', 'events per second', positiveNumber('--rate'), 50)
    .option('--seed <n>', 'seed of the synthetic generator', positiveInt('--seed'), 42)
    .option('--topic <name>', 'target topic', TOPICS.paymentsInitiated)
    .action(async (options: ProduceOptions) => {
      if ((options.file === undefined) === (options.synthetic === undefined)) {
        throw new CliUsageError('give exactly one of --file <path> or --synthetic <n>');
      }
      const records = options.file ? fileRecords(options.file) : syntheticRecords(options.synthetic!, options.seed, options.rate);
      const config = loadConfig();
      // With OTEL_* set, every record starts its own trace (a producer span whose context goes in its headers).
      const tracing = createTracing({ serviceName: SERVICE_NAMES.cli, env: process.env });
      const producer = await connectProducer(createKafka(config.kafka));
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
      const total = options.file ? records.length : options.synthetic!;
      const started = Date.now();
      try {
        const sent = await paced(records, options.rate, (slice) => sendTraced(producer, options.topic, slice, tracing), {
          signal: abort.signal,
          onProgress: (n) => process.stderr.write(`\r  produced ${n}/${total} to ${options.topic}`),
        });
        process.stderr.write('\n');
        console.log(`produced ${sent} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        await producer.disconnect();
        await tracing.shutdown();
      }
    });
}

async function sendTraced(producer: Producer, topic: string, slice: Array<{ key: string | null; value: string }>, tracing: Tracing): Promise<void> {
  if (!tracing.enabled) {
    await sendRecords(producer, topic, slice);
    return;
  }
  const spans = slice.map(() => startProducerSpan(tracing.tracer, topic));
  try {
    await sendRecords(producer, topic, slice.map((r, i) => ({ ...r, headers: spans[i].headers })));
  } finally {
    for (const { span } of spans) span.end();
  }
}

function fileRecords(path: string): Array<{ key: string | null; value: string }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliUsageError(`cannot read --file ${path}: ${(err as Error).message}`);
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((value) => ({ key: subjectOf(value), value }));
}

/** The envelope's subject as the key when the line is JSON with one; otherwise no key (the bridge dead-letters it). */
function subjectOf(line: string): string | null {
  try {
    const subject = (JSON.parse(line) as { subject?: unknown }).subject;
    return typeof subject === 'string' && subject !== '' ? subject : null;
  } catch {
    return null;
  }
}

function syntheticRecords(count: number, seed: number, ratePerSecond: number): Array<{ key: string; value: string }> {
  const records: Array<{ key: string; value: string }> = [];
  for (const payment of liveSyntheticPayments({ seed, count, ratePerSecond })) {
    const event = syntheticPaymentEvent(payment);
    records.push({ key: event.subject, value: JSON.stringify(event) });
  }
  return records;
}
