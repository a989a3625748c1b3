import { randomBytes } from 'node:crypto';
import { DefaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  CodecKeyError,
  ENCRYPTED_ENCODING,
  METADATA_KEY_ID,
  PayloadDecryptionError,
  parseCodecKeys,
  type CodecKey,
} from '../../../src/security/payload-codec';

const converter = new DefaultPayloadConverter();
const key = (id: string): CodecKey => ({ id, key: randomBytes(32) });
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const payment = { paymentId: 'pay-secret-0001', userId: 'user-alice-42', amount: 4321.99 };

async function expectDecryptError(p: Promise<unknown>, pattern: RegExp, keyId: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PayloadDecryptionError);
  expect((err as PayloadDecryptionError).keyId).toBe(keyId);
  expect((err as Error).message).toMatch(pattern);
}

describe('AesGcmPayloadCodec', () => {
  it('round-trips payloads and leaves no cleartext in the sealed bytes', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const plain = [converter.toPayload(payment), converter.toPayload(null), converter.toPayload(new Uint8Array([0, 255, 1]))];
    const sealed = await codec.encode(plain);
    expect(sealed).toHaveLength(3);
    for (const p of sealed) {
      expect(text(p.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(p.metadata?.[METADATA_KEY_ID])).toBe('k1');
      for (const secret of ['pay-secret-0001', 'user-alice-42', '4321.99', 'json/plain']) expect(Buffer.from(p.data!).includes(secret)).toBe(false);
    }
    const opened = await codec.decode(sealed);
    expect(opened.map((p) => converter.fromPayload(p))).toEqual([payment, null, new Uint8Array([0, 255, 1])]);
    // Original metadata (encoding json/plain, binary/null, binary/plain) comes back byte for byte.
    expect(opened.map((p) => text(p.metadata?.encoding))).toEqual(plain.map((p) => text(p.metadata?.encoding)));
  });

  it('uses a fresh IV per payload: the same value never encrypts to the same bytes', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const [a, b] = await codec.encode([converter.toPayload(payment), converter.toPayload(payment)]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
    expect(Buffer.from(a.data!).subarray(0, 12).equals(Buffer.from(b.data!).subarray(0, 12))).toBe(false);
  });

  it('rotates keys: old payloads still decode, new ones use the new key', async () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const before = new AesGcmPayloadCodec([k1]);
    const [old] = await before.encode([converter.toPayload(payment)]);
    const after = new AesGcmPayloadCodec([k2, k1]);
    expect(after.currentKeyId).toBe('k2');
    const [fresh] = await after.encode([converter.toPayload({ ...payment, amount: 1 })]);
    expect(text(fresh.metadata?.[METADATA_KEY_ID])).toBe('k2');
    const [oldOpened, freshOpened] = await after.decode([old, fresh]);
    expect(converter.fromPayload(oldOpened)).toEqual(payment);
    expect(converter.fromPayload(freshOpened)).toEqual({ ...payment, amount: 1 });
    // The codec that only knows k1 cannot read what k2 sealed, and says which key is missing.
    await expectDecryptError(before.decode([fresh]), /key "k2", which is not configured \(known: k1\)/, 'k2');
  });

  it('fails clearly with the wrong key material under the same id', async () => {
    const [sealed] = await new AesGcmPayloadCodec([key('prod')]).encode([converter.toPayload(payment)]);
    await expectDecryptError(new AesGcmPayloadCodec([key('prod')]).decode([sealed]), /key "prod" failed authentication: wrong key material/, 'prod');
  });

  it('rejects tampered ciphertext, tag, IV and a swapped key id', async () => {
    const k1 = key('k1');
    const k2 = { id: 'k2', key: k1.key };
    const codec = new AesGcmPayloadCodec([k1, k2]);
    const [sealed] = await codec.encode([converter.toPayload(payment)]);
    const flip = (at: (len: number) => number): Payload => {
      const data = Buffer.from(sealed.data!);
      data[at(data.length)] ^= 0x01;
      return { metadata: sealed.metadata, data };
    };
    await expectDecryptError(codec.decode([flip(() => 20)]), /failed authentication/, 'k1'); // ciphertext
    await expectDecryptError(codec.decode([flip((n) => n - 1)]), /failed authentication/, 'k1'); // tag
    await expectDecryptError(codec.decode([flip(() => 0)]), /failed authentication/, 'k1'); // IV
    // Same key bytes under another id: the id is authenticated, so relabelling is detected.
    const relabelled = { metadata: { ...sealed.metadata, [METADATA_KEY_ID]: Buffer.from('k2') }, data: sealed.data };
    await expectDecryptError(codec.decode([relabelled]), /key "k2" failed authentication/, 'k2');
    await expectDecryptError(codec.decode([{ metadata: sealed.metadata, data: Buffer.from(sealed.data!).subarray(0, 10) }]), /truncated/, 'k1');
  });

  it('passes unencrypted payloads through (histories from before the codec was turned on)', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const plain = converter.toPayload(payment);
    const [out] = await codec.decode([plain]);
    expect(converter.fromPayload(out)).toEqual(payment);
  });

  it('names a payload without key id', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const err = await codec.decode([{ metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING) }, data: randomBytes(40) }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect((err as Error).message).toMatch(/no encryption-key-id/);
  });
});

describe('parseCodecKeys', () => {
  const b64 = (n: number) => randomBytes(n).toString('base64');

  it('parses comma- and newline-separated lists with comments, first key first', () => {
    const a = b64(32);
    const b = b64(32);
    const keys = parseCodecKeys(`# current first\nk2:${a}\n\nk1:${b}`, 'file');
    expect(keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(keys[0].key.equals(Buffer.from(a, 'base64'))).toBe(true);
    expect(parseCodecKeys(`k2:${a}, k1:${b}`, 'env').map((k) => k.id)).toEqual(['k2', 'k1']);
  });

  it.each([
    ['k1', /entry 1 must be "id:<base64 of 32 bytes>"/],
    [`k1:${b64(16)}`, /key "k1" must be 32 bytes in base64 \(AES-256\), got 16 bytes/],
    ['k1:not*base64!', /key "k1" must be 32 bytes in base64 \(AES-256\), got invalid base64/],
    [`bad id:${b64(32)}`, /key id must be 1-64 characters/],
    [`k1:${b64(32)},k1:${b64(32)}`, /"k1" is listed twice/],
    ['  # only a comment', /no keys/],
  ])('refuses %s with a clear message', (input, pattern) => {
    expect(() => parseCodecKeys(input, 'MAINSPRING_CODEC_KEYS')).toThrow(CodecKeyError);
    expect(() => parseCodecKeys(input, 'MAINSPRING_CODEC_KEYS')).toThrow(pattern);
    // The message names its source and never echoes key material.
    try {
      parseCodecKeys(input, 'MAINSPRING_CODEC_KEYS');
    } catch (err) {
      expect((err as Error).message).toMatch(/^MAINSPRING_CODEC_KEYS/);
      const material = input.split(':')[1]?.split(',')[0];
      if (material && material.length > 8) expect((err as Error).message).not.toContain(material);
    }
  });
});
