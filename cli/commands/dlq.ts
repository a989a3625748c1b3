import type { Command } from 'commander';
import { loadConfig } from '../../src/config/env';
import { createKafka } from '../../src/kafka/client';
import { readDlq, replayDlq, type DlqRecord } from '../../src/kafka/dlq';
import { connectProducer } from '../../src/kafka/producer';
import { CONSUMED_TOPICS, dlqTopic } from '../../src/kafka/topics';
import { CliUsageError, table } from '../output';
import { commaList } from '../options';

function dlqTopics(topic?: string): string[] {
  if (topic === undefined) return CONSUMED_TOPICS.map(dlqTopic);
  if (!CONSUMED_TOPICS.includes(topic as never)) throw new CliUsageError(`--topic must be one of ${CONSUMED_TOPICS.join(', ')}; got "${topic}"`);
  return [dlqTopic(topic)];
}

export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('dead-lettered events: list and replay');

  dlq
    .command('list')
    .description('list dead-lettered records with their reason and origin')
    .option('--topic <topic>', 'origin topic (default: all consumed topics)')
    .option('--json', 'one JSON object per record')
    .action(async (options: { topic?: string; json?: boolean }) => {
      const kafka = createKafka(loadConfig().kafka);
      const rows: DlqRecord[] = [];
      for (const topic of dlqTopics(options.topic)) rows.push(...(await readDlq(kafka, topic)));
      if (options.json) {
        for (const r of rows) console.log(JSON.stringify({ eventId: r.eventId, key: r.key, ...r.letter, dlq: { partition: r.partition, offset: r.offset } }));
        return;
      }
      console.log(
        table(
          rows.map((r) => ({
            code: r.letter.code,
            origin: `${r.letter.origin.topic}[${r.letter.origin.partition}]@${r.letter.origin.offset}`,
            eventId: r.eventId,
            firstFailure: r.letter.firstFailureAt,
            reason: r.letter.message.slice(0, 80),
          })),
        ),
      );
      console.log(`${rows.length} record(s)`);
    });

  dlq
    .command('replay')
    .description('re-validate, upcast and re-send dead-lettered events to their origin topic (same event id)')
    .option('--topic <topic>', 'origin topic (default: all consumed topics)')
    .option('--ids <ids>', 'only these event ids (comma-separated)', commaList)
    .action(async (options: { topic?: string; ids?: string[] }) => {
      const config = loadConfig();
      const kafka = createKafka(config.kafka);
      let records: DlqRecord[] = [];
      for (const topic of dlqTopics(options.topic)) records.push(...(await readDlq(kafka, topic)));
      if (options.ids) {
        const wanted = new Set(options.ids);
        records = records.filter((r) => r.eventId !== undefined && wanted.has(r.eventId));
        const missing = options.ids.filter((id) => !records.some((r) => r.eventId === id));
        if (missing.length > 0) console.error(`not in the DLQ: ${missing.join(', ')}`);
      }
      const producer = await connectProducer(kafka);
      try {
        const outcome = await replayDlq(producer, records);
        for (const r of outcome.replayed) console.log(`replayed ${r.eventId} → ${r.topic}`);
        for (const s of outcome.stillInvalid) console.error(`still invalid [${s.partition}]@${s.offset}: ${s.code} ${s.message}`);
        console.log(`${outcome.replayed.length} replayed, ${outcome.stillInvalid.length} still invalid`);
        if (outcome.stillInvalid.length > 0 && outcome.replayed.length === 0) process.exitCode = 1;
      } finally {
        await producer.disconnect();
      }
    });
}
