import type { Command } from 'commander';
import { loadConfig } from '../../src/config/env';
import { ShutdownSequence } from '../../src/lifecycle/shutdown';
import { createLogger } from '../../src/observability/logger';
import { assertPortsFree } from '../../src/lifecycle/ports';
import { DEFAULT_CODEC_BODY_LIMIT, startCodecServer } from '../../src/security/codec-server';
import { AesGcmPayloadCodec } from '../../src/security/payload-codec';
import { commaList, positiveInt } from '../options';
import { CliUsageError } from '../output';

export function registerCodecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description('serve Temporal\'s remote codec endpoint (POST /decode, /encode) so the Temporal UI can show encrypted payloads')
    .option('--port <n>', 'port to listen on', positiveInt('--port', 65_535), 8888)
    .option('--host <address>', 'address to bind (keep it local unless a proxy with TLS is in front)', '127.0.0.1')
    .option('--cors-origin <origins>', 'browser origins allowed to call it, comma-separated (default: the local Temporal UI)', commaList)
    .option('--max-body-bytes <n>', 'largest request body accepted', positiveInt('--max-body-bytes', 64 * 1024 * 1024), DEFAULT_CODEC_BODY_LIMIT)
    .action(async (options: { port: number; host: string; corsOrigin?: string[]; maxBodyBytes: number }) => {
      const config = loadConfig();
      if (!config.temporal.codec) throw new CliUsageError('codec-server needs the payload keys: set MAINSPRING_CODEC_KEYS or MAINSPRING_CODEC_KEY_FILE (the same keys as the worker).');
      await assertPortsFree([{ port: options.port, component: 'the codec server', envVar: '--port', host: options.host }], 'the codec server');
      const logger = createLogger(config.logLevel).child({ component: 'codec-server' });
      const corsOrigins = options.corsOrigin ?? [`http://localhost:${config.temporal.uiPort}`, `http://127.0.0.1:${config.temporal.uiPort}`];
      const server = await startCodecServer({
        codec: new AesGcmPayloadCodec(config.temporal.codec.keys),
        corsOrigins,
        authToken: config.codecAuthToken,
        maxBodyBytes: options.maxBodyBytes,
        port: options.port,
        host: options.host,
        logger,
      });
      const shutdown = new ShutdownSequence(logger).add('close codec server', () => server.close(), 5_000);
      shutdown.exitOnSignals();
      logger.info({ url: server.url, corsOrigins, auth: config.codecAuthToken ? 'bearer token' : 'none', keys: config.temporal.codec.keys.map((k) => k.id) }, 'codec server listening');
      console.log(`Codec endpoint: ${server.url}  (Temporal UI: Data Encoder settings, or: temporal server start-dev --ui-codec-endpoint <url>)`);
    });
}
