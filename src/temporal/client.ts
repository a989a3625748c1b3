import { readFile } from 'node:fs/promises';
import { Client, Connection, type ClientInterceptors, type ConnectionOptions } from '@temporalio/client';
import type { Config } from '../config/env';
import { codecDataConverter } from '../security/payload-codec';

export type TemporalSettings = Pick<Config['temporal'], 'address' | 'namespace' | 'tls' | 'apiKey'> & Partial<Pick<Config['temporal'], 'codec'>>;

/** Data converter of every client and worker: the payload codec when keys are configured (same keys everywhere). */
export function temporalDataConverter(settings: Pick<TemporalSettings, 'codec'>) {
  return codecDataConverter(settings.codec?.keys);
}

/** Connection options shared by clients and workers: TLS files are read here so a missing file is named. */
export async function temporalConnectionOptions(settings: TemporalSettings): Promise<ConnectionOptions & { apiKey?: string }> {
  const readOrExplain = async (path: string | undefined, variable: string) => {
    if (!path) return undefined;
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`${variable}=${path} cannot be read: ${(err as Error).message}`);
    }
  };
  const [crt, key, ca] = await Promise.all([
    readOrExplain(settings.tls?.certPath, 'TEMPORAL_TLS_CERT'),
    readOrExplain(settings.tls?.keyPath, 'TEMPORAL_TLS_KEY'),
    readOrExplain(settings.tls?.caPath, 'TEMPORAL_TLS_CA'),
  ]);
  const tls =
    settings.tls || settings.apiKey
      ? {
          serverNameOverride: settings.tls?.serverName,
          serverRootCACertificate: ca,
          clientCertPair: crt && key ? { crt, key } : undefined,
        }
      : undefined;
  return { address: settings.address, tls, apiKey: settings.apiKey };
}

/** `extra.interceptors`: e.g. the OpenTelemetry client interceptor (src/observability/tracing.ts) when tracing is on. */
export async function connectTemporal(settings: TemporalSettings, extra: { interceptors?: ClientInterceptors } = {}): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect(await temporalConnectionOptions(settings));
  return { connection, client: new Client({ connection, namespace: settings.namespace, dataConverter: temporalDataConverter(settings), interceptors: extra.interceptors }) };
}
