import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';

/**
 * Temporal payload encryption: every payload the SDK sends (workflow input, activity results, signals, memo, …) is
 * sealed with AES-256-GCM before it leaves the process, so the server's history holds no cleartext payment data.
 * Search attributes are not payloads of the codec (the server must index them): they stay pseudonymized instead.
 *
 * Sealed payload: metadata `encoding: binary/encrypted`, `encryption-key-id: <id>`; data = IV (12) ‖ ciphertext ‖
 * tag (16). The plaintext is the original payload (its metadata and data, see serializePayload), and the key id is
 * authenticated data, so a payload cannot be made to decrypt under another id by editing its metadata.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCODING_KEY = 'encoding';
export const METADATA_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const FORMAT_VERSION = 1;
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;

export interface CodecKey {
  id: string;
  key: Buffer;
}

/** A malformed key list (environment or key file); the message names the source and the entry, never key bytes. */
export class CodecKeyError extends Error {
  readonly code = 'CODEC_KEY_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'CodecKeyError';
  }
}

/** A payload that cannot be opened: unknown key id, wrong key, or tampered bytes. Names the key id. */
export class PayloadDecryptionError extends Error {
  readonly code = 'PAYLOAD_DECRYPT_FAILED';
  constructor(
    message: string,
    readonly keyId: string | undefined,
  ) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/**
 * `k2:<base64 of 32 bytes>,k1:<base64>` (commas or newlines; `#` starts a comment line in key files). The first key
 * encrypts; all of them decrypt, which is how keys rotate: put the new key first and keep the old ones listed until
 * no history that needs them is retained.
 */
export function parseCodecKeys(text: string, source: string): CodecKey[] {
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (entries.length === 0) throw new CodecKeyError(`${source}: no keys (expected "id:<base64 of 32 bytes>", comma-separated)`);
  const keys: CodecKey[] = [];
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const where = `${source}: entry ${index + 1}`;
    if (colon < 0) throw new CodecKeyError(`${where} must be "id:<base64 of 32 bytes>"`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID_PATTERN.test(id)) throw new CodecKeyError(`${where}: key id must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    if (keys.some((k) => k.id === id)) throw new CodecKeyError(`${where}: key id "${id}" is listed twice`);
    // Buffer.from(…, 'base64') skips invalid characters silently: check the alphabet first.
    const key = BASE64_PATTERN.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
    if (key === undefined || key.length !== KEY_BYTES) {
      throw new CodecKeyError(
        `${where}: key "${id}" must be ${KEY_BYTES} bytes in base64 (AES-256), got ${key === undefined ? 'invalid base64' : `${key.length} bytes`}; generate one with \`openssl rand -base64 32\``,
      );
    }
    keys.push({ id, key });
  });
  return keys;
}

/** AES-256-GCM payload codec with key rotation: encrypts with the first key, decrypts with any listed key. */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current: CodecKey;
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new CodecKeyError('payload codec needs at least one key');
    for (const k of keys) {
      if (k.key.length !== KEY_BYTES) throw new CodecKeyError(`payload codec key "${k.id}" must be ${KEY_BYTES} bytes, got ${k.key.length}`);
    }
    this.current = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.seal(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.open(payload));
  }

  private seal(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const keyId = Buffer.from(this.current.id, 'utf8');
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(keyId);
    const body = Buffer.concat([cipher.update(serializePayload(payload)), cipher.final()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [METADATA_KEY_ID]: keyId },
      data: Buffer.concat([iv, body, cipher.getAuthTag()]),
    };
  }

  private open(payload: Payload): Payload {
    // Payloads written before encryption was turned on (or by a client without it) pass through as they are.
    if (!isEncrypted(payload)) return payload;
    const rawId = payload.metadata?.[METADATA_KEY_ID];
    if (!rawId || rawId.length === 0) throw new PayloadDecryptionError(`encrypted payload has no ${METADATA_KEY_ID} metadata`, undefined);
    const keyId = Buffer.from(rawId).toString('utf8');
    const key = this.byId.get(keyId);
    if (key === undefined) {
      throw new PayloadDecryptionError(
        `payload is encrypted with key "${keyId}", which is not configured (known: ${[...this.byId.keys()].join(', ')}); add it to MAINSPRING_CODEC_KEYS to decrypt`,
        keyId,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`payload encrypted with key "${keyId}" is truncated (${data.length} bytes)`, keyId);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(rawId);
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      // GCM cannot tell a wrong key from modified bytes: both fail authentication.
      throw new PayloadDecryptionError(`payload encrypted with key "${keyId}" failed authentication: wrong key material for "${keyId}" or the payload was modified`, keyId);
    }
    return deserializePayload(plain, keyId);
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && Buffer.from(encoding).toString('utf8') === ENCRYPTED_ENCODING;
}

/** The data converter for clients and workers: the codec when keys are configured, the SDK default otherwise. */
export function codecDataConverter(keys: readonly CodecKey[] | undefined): DataConverter | undefined {
  return keys && keys.length > 0 ? { payloadCodecs: [new AesGcmPayloadCodec(keys)] } : undefined;
}

/*
 * Plaintext layout: version (1) ‖ entry count (u32) ‖ per entry: key length (u32) ‖ key (utf-8) ‖ value length (u32)
 * ‖ value ‖ then the payload data to the end. Length-prefixed, so any bytes round-trip.
 */
function serializePayload(payload: Payload): Buffer {
  const entries = Object.entries(payload.metadata ?? {}).filter((e): e is [string, Uint8Array] => e[1] !== null && e[1] !== undefined);
  const parts: Buffer[] = [Buffer.from([FORMAT_VERSION]), u32(entries.length)];
  for (const [k, v] of entries) {
    const key = Buffer.from(k, 'utf8');
    parts.push(u32(key.length), key, u32(v.length), Buffer.from(v));
  }
  parts.push(Buffer.from(payload.data ?? new Uint8Array()));
  return Buffer.concat(parts);
}

function deserializePayload(plain: Buffer, keyId: string): Payload {
  const bad = () => new PayloadDecryptionError(`payload encrypted with key "${keyId}" decrypted to an unknown layout`, keyId);
  let at = 0;
  const take = (n: number): Buffer => {
    if (at + n > plain.length) throw bad();
    const out = plain.subarray(at, at + n);
    at += n;
    return out;
  };
  if (take(1)[0] !== FORMAT_VERSION) throw bad();
  const count = take(4).readUInt32BE(0);
  const metadata: Record<string, Uint8Array> = {};
  for (let i = 0; i < count; i++) {
    const key = take(take(4).readUInt32BE(0)).toString('utf8');
    metadata[key] = new Uint8Array(take(take(4).readUInt32BE(0)));
  }
  return { metadata, data: new Uint8Array(plain.subarray(at)) };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}
