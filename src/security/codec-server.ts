import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Logger } from '../observability/logger';

/**
 * Temporal's remote codec protocol, so the Temporal UI (and `temporal workflow show --codec-endpoint`) can show
 * decrypted payloads to the people who may see them: POST /decode and /encode with
 * `{"payloads":[{"metadata":{"<key>":"<base64>"},"data":"<base64>"}]}`, answered in the same shape.
 * The browser calls it cross-origin, so allowed origins get CORS headers (and preflights an answer).
 */
export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins allowed to call from a browser (the Temporal UI's), e.g. `http://localhost:8233`. */
  corsOrigins: readonly string[];
  /** When set, every /encode and /decode call needs `Authorization: Bearer <token>`. */
  authToken?: string;
  /** Request bodies above this are refused with 413 before they are parsed. */
  maxBodyBytes?: number;
  logger?: Logger;
}

export const DEFAULT_CODEC_BODY_LIMIT = 4 * 1024 * 1024;
/** More payloads than this in one request is not a UI call: refuse rather than burn CPU. */
const MAX_PAYLOADS_PER_REQUEST = 10_000;

interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createCodecServer(options: CodecServerOptions): Server {
  const maxBody = options.maxBodyBytes ?? DEFAULT_CODEC_BODY_LIMIT;
  const tokenDigest = options.authToken ? digest(options.authToken) : undefined;
  return createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) options.logger?.error({ err }, 'codec server: request failed');
      // 400 carries the codec's message (it names the key id, never key material or payload bytes).
      send(res, status, { error: err instanceof Error ? err.message : String(err) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    applyCors(req, res, options.corsOrigins);
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && (path === '' || path === '/health')) {
      send(res, 200, { ok: true });
      return;
    }
    if (path !== '/encode' && path !== '/decode') throw new HttpError(404, `no such endpoint ${path || '/'} (POST /encode, POST /decode)`);
    if (req.method !== 'POST') throw new HttpError(405, `${path} accepts POST only`);
    if (tokenDigest && !authorized(req.headers.authorization, tokenDigest)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'missing or wrong bearer token');
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBody) throw new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${maxBody}`);
    const body = await readBody(req, maxBody);
    const payloads = parseRequest(body);
    const namespace = req.headers['x-namespace'];
    let result: Payload[];
    try {
      result = path === '/decode' ? await options.codec.decode(payloads) : await options.codec.encode(payloads);
    } catch (err) {
      throw new HttpError(400, err instanceof Error ? err.message : String(err));
    }
    options.logger?.debug({ path, namespace, payloads: payloads.length }, 'codec server: request served');
    send(res, 200, { payloads: result.map(toJson) });
  }
}

/** Starts the server on host:port (port 0 = any free port) and resolves with its URL. */
export async function startCodecServer(options: CodecServerOptions & { port: number; host?: string }): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createCodecServer(options);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Browsers keep connections alive: without this close() waits for them to time out.
        server.closeIdleConnections();
      }),
  };
}

function applyCors(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): void {
  const origin = req.headers.origin;
  if (!origin || !(allowed.includes(origin) || allowed.includes('*'))) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  // The UI sends cookies/credentials when "include cross-origin credentials" is on.
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
  res.setHeader('Access-Control-Max-Age', '600');
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  // Compare digests so the comparison is constant-time whatever the token lengths.
  return match !== null && timingSafeEqual(digest(match[1].trim()), expected);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `request body exceeds the limit of ${limit} bytes`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseRequest(body: Buffer): Payload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  const list = (parsed as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new HttpError(400, 'body must be {"payloads": [...]}');
  if (list.length > MAX_PAYLOADS_PER_REQUEST) throw new HttpError(413, `at most ${MAX_PAYLOADS_PER_REQUEST} payloads per request`);
  return list.map((item, i) => fromJson(item, i));
}

function fromJson(item: unknown, index: number): Payload {
  if (typeof item !== 'object' || item === null) throw new HttpError(400, `payloads[${index}] must be an object`);
  const { metadata, data } = item as JsonPayload;
  const out: Record<string, Uint8Array> = {};
  if (metadata !== undefined && metadata !== null) {
    if (typeof metadata !== 'object') throw new HttpError(400, `payloads[${index}].metadata must be an object`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new HttpError(400, `payloads[${index}].metadata.${k} must be a base64 string`);
      out[k] = Buffer.from(v, 'base64');
    }
  }
  if (data !== undefined && data !== null && typeof data !== 'string') throw new HttpError(400, `payloads[${index}].data must be a base64 string`);
  return { metadata: out, data: Buffer.from(data ?? '', 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
