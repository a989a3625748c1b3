import { Connection } from '@temporalio/client';
import { logLevel } from 'kafkajs';
import { Client } from 'pg';
import { createKafka, type KafkaSettings } from '../src/kafka/client';
import { temporalConnectionOptions, type TemporalSettings } from '../src/temporal/client';

/** Health checks shared by the local components and by `stack status` for external services. */
export async function temporalHealthy(settings: TemporalSettings): Promise<boolean> {
  const connection = await Connection.connect({ ...(await temporalConnectionOptions(settings)), connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: settings.namespace });
    return true;
  } finally {
    await connection.close();
  }
}

export async function kafkaHealthy(settings: KafkaSettings): Promise<boolean> {
  const admin = createKafka(settings, { logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 }).admin();
  await admin.connect();
  try {
    return (await admin.describeCluster()).brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
}

export async function postgresHealthy(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('select 1');
    return true;
  } finally {
    await client.end();
  }
}
