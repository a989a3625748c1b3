// The codec server over real HTTP, called the way the Temporal UI calls it: a CORS preflight from the UI's origin,
// then POST /decode with X-Namespace (and the bearer token when one is configured).
import { randomBytes } from 'node:crypto';
import { DefaultPayloadConverter, type Payload } from '@temporalio/common';
import { startCodecServer } from '../../../src/security/codec-server';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../../src/security/payload-codec';

const converter = new DefaultPayloadConverter();
const UI = 'http://localhost:8233';
const codec = new AesGcmPayloadCodec([{ id: 'k1', key: randomBytes(32) }]);
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
  data: Buffer.from(p.data!).toString('base64'),
});
const fromJson = (p: { metadata: Record<string, string>; data: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});

describe('codec server', () => {
  let server: Awaited<ReturnType<typeof startCodecServer>>;
  let secured: Awaited<ReturnType<typeof startCodecServer>>;

  beforeAll(async () => {
    server = await startCodecServer({ codec, corsOrigins: [UI], port: 0, maxBodyBytes: 64 * 1024 });
    secured = await startCodecServer({ codec, corsOrigins: [UI], authToken: 'let-me-in', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await secured?.close();
  });

  const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: UI, 'X-Namespace': 'default', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('answers the UI preflight with the headers it needs', async () => {
    const res = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toEqual(expect.arrayContaining(['content-type', 'authorization', 'x-namespace']));
  });

  it('gives no CORS grant to other origins', async () => {
    const res = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('decodes what the worker encrypted, and encodes', async () => {
    const value = { paymentId: 'pay-ui-1', userId: 'user-ui', amount: 77.5 };
    const sealed = await codec.encode([converter.toPayload(value), converter.toPayload('second')]);
    const res = await post(server.url, '/decode', { payloads: sealed.map(toJson) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    const body = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(body.payloads.map((p) => converter.fromPayload(fromJson(p)))).toEqual([value, 'second']);
    // What the UI renders: json/plain metadata and the JSON text itself.
    expect(Buffer.from(body.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');

    const enc = await post(server.url, '/encode', { payloads: [toJson(converter.toPayload(value))] });
    const encoded = ((await enc.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads.map(fromJson);
    expect(Buffer.from(encoded[0].metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(converter.fromPayload((await codec.decode(encoded))[0])).toEqual(value);
  });

  it('reports a payload it cannot decrypt with the key id, as 400', async () => {
    const [foreign] = await new AesGcmPayloadCodec([{ id: 'k9', key: randomBytes(32) }]).encode([converter.toPayload(1)]);
    const res = await post(server.url, '/decode', { payloads: [toJson(foreign)] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/key "k9", which is not configured/);
  });

  it('refuses malformed and oversized bodies', async () => {
    expect((await post(server.url, '/decode', 'not json')).status).toBe(400);
    expect((await post(server.url, '/decode', { nope: [] })).status).toBe(400);
    expect((await post(server.url, '/decode', { payloads: [{ data: 5 }] })).status).toBe(400);
    const huge = await post(server.url, '/decode', { payloads: [{ metadata: {}, data: 'A'.repeat(128 * 1024) }] });
    expect(huge.status).toBe(413);
    expect((await fetch(`${server.url}/decode`)).status).toBe(405);
    expect((await post(server.url, '/other', { payloads: [] })).status).toBe(404);
  });

  it('requires the bearer token when one is set', async () => {
    const sealed = await codec.encode([converter.toPayload('secret')]);
    const none = await post(secured.url, '/decode', { payloads: sealed.map(toJson) });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: string }).error).toMatch(/bearer token/);
    expect((await post(secured.url, '/decode', { payloads: sealed.map(toJson) }, { Authorization: 'Bearer wrong' })).status).toBe(401);
    const ok = await post(secured.url, '/decode', { payloads: sealed.map(toJson) }, { Authorization: 'Bearer let-me-in' });
    expect(ok.status).toBe(200);
    expect(converter.fromPayload(fromJson(((await ok.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads[0]))).toBe('secret');
    // The preflight itself carries no credentials (browsers never send them), so it must not need the token.
    expect((await fetch(`${secured.url}/decode`, { method: 'OPTIONS', headers: { Origin: UI, 'Access-Control-Request-Method': 'POST' } })).status).toBe(204);
  });
});
