/** What the integration globalSetup exports to every test worker (through process.env). */
export interface TestStackEnv {
  temporalAddress: string;
  temporalNamespace: string;
  kafkaBrokers: string[];
  databaseUrl: string;
  temporalCli: string;
}

export function testStackEnv(): TestStackEnv {
  const required = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: integration tests run under jest's integration project (globalSetup).`);
    return value;
  };
  return {
    temporalAddress: required('TEMPORAL_ADDRESS'),
    temporalNamespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    kafkaBrokers: required('KAFKA_BROKERS').split(','),
    databaseUrl: required('DATABASE_URL'),
    temporalCli: required('MAINSPRING_TEMPORAL_CLI'),
  };
}

/** A name no other test (or earlier run) uses: topics, task queues, workflow ids. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
