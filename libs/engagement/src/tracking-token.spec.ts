import { createHmac, randomBytes } from 'node:crypto';
import {
  eventFromToken,
  signToken,
  signTokens,
  TRACKING_EVENTS,
  TrackingTokenPayload,
  verifyToken,
} from './tracking-token';

const SECRET = 'k'.repeat(32);
const NEW_SECRET = randomBytes(32);
const NOW = 1_800_000_000;

const payload: TrackingTokenPayload = {
  campaignId: '6f1c2a9e-5b7d-4c1e-9f3a-2d4b6c8e0a11',
  variantId: '0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b',
  adServingId: 'a3f9e0c2-1b4d-4e6f-8a9b-0c1d2e3f4a5b',
  segment: 'young-urban',
  format: '9x16',
  event: 'firstQuartile',
  issuedAt: NOW,
  expiresAt: NOW + 86_400,
};

/**
 * Signs bytes as the format says for the version in their first byte (3: 9-byte tags, seven per
 * HMAC; 2: 16-byte tags, four per HMAC), independently of the code under test.
 */
function resign(bytes: Buffer, secret: string | Buffer): string {
  const [tagBytes, tagsPerMac] = bytes[0] >> 4 === 2 ? [16, 4] : [9, 7];
  const body = Buffer.from(bytes.subarray(0, bytes.length - tagBytes));
  const event = body[0] & 0x0f;
  body[0] &= 0xf0;
  const digest = createHmac('sha512', secret)
    .update(body)
    .update(Buffer.of(Math.floor(event / tagsPerMac)))
    .digest();
  body[0] = bytes[0];
  const start = (event % tagsPerMac) * tagBytes;
  return Buffer.concat([body, digest.subarray(start, start + tagBytes)]).toString('base64url');
}

/** A version-2 token (16-byte tag) for the same payload, as signed before version 3. */
function versionTwo(token: string, secret: string | Buffer): string {
  const bytes = Buffer.from(token, 'base64url');
  const body = Buffer.concat([bytes.subarray(0, bytes.length - 9), Buffer.alloc(16)]);
  body[0] = 0x20 | (body[0] & 0x0f);
  return resign(body, secret);
}

describe('signToken / verifyToken', () => {
  it('round-trips every field', () => {
    const token = signToken(payload, SECRET);
    expect(verifyToken(token, SECRET, NOW + 60)).toEqual({ ok: true, payload });
  });

  it('is URL-safe and 110 characters for a typical pixel', () => {
    const token = signToken(payload, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).toHaveLength(110);
  });

  it('still verifies version-2 tokens (issued before version 3), tamper-evident as before', () => {
    for (const event of TRACKING_EVENTS) {
      const old = versionTwo(signToken({ ...payload, event }, SECRET), SECRET);
      expect(old).toHaveLength(119);
      expect(verifyToken(old, SECRET, NOW)).toEqual({ ok: true, payload: { ...payload, event } });
      const bytes = Buffer.from(old, 'base64url');
      bytes[bytes.length - 1] ^= 0x01;
      expect(verifyToken(bytes.toString('base64url'), SECRET, NOW)).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
  });

  it.each(TRACKING_EVENTS)('carries the %s event', (event) => {
    const token = signToken({ ...payload, event }, SECRET);
    expect(verifyToken(token, SECRET, NOW)).toMatchObject({ ok: true, payload: { event } });
  });

  it('carries non-ASCII segments and upper-case UUIDs (as lower case)', () => {
    const token = signToken(
      { ...payload, segment: 'jóvenes-urbanos', variantId: payload.variantId.toUpperCase() },
      SECRET,
    );
    expect(verifyToken(token, SECRET, NOW)).toMatchObject({
      ok: true,
      payload: { segment: 'jóvenes-urbanos', variantId: payload.variantId },
    });
  });

  it('refuses a token with any single byte altered', () => {
    const bytes = Buffer.from(signToken(payload, SECRET), 'base64url');
    const reasons = new Set<string>();
    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i] ^= 0x01;
      const result = verifyToken(tampered.toString('base64url'), SECRET, NOW);
      reasons.add(result.ok ? 'accepted' : result.reason);
    }
    expect([...reasons]).toEqual(['bad_signature']);
  });

  it.each([
    ['32-byte', SECRET],
    ['128-byte (one SHA-512 block)', randomBytes(128)],
    ['129-byte (hashed first, as HMAC says)', randomBytes(129)],
    ['1000-byte', 'long secret '.repeat(84)],
  ])('writes the format as documented with a %s secret (checked by an independent signer)', (_, secret) => {
    for (const event of TRACKING_EVENTS) {
      const token = signToken({ ...payload, event }, secret);
      expect(resign(Buffer.from(token, 'base64url'), secret)).toBe(token);
      expect(verifyToken(token, secret, NOW)).toEqual({ ok: true, payload: { ...payload, event } });
    }
  });

  it('signs all events of a serving at once, each token standing for its own event only', () => {
    const tokens = signTokens(payload, TRACKING_EVENTS, SECRET);
    for (const event of TRACKING_EVENTS) {
      expect(tokens[event]).toBe(signToken({ ...payload, event }, SECRET));
      expect(verifyToken(tokens[event], SECRET, NOW)).toEqual({ ok: true, payload: { ...payload, event } });
    }
    // The impression pixel does not become the click pixel by changing its event.
    const impression = Buffer.from(tokens.impression, 'base64url');
    for (const event of TRACKING_EVENTS.slice(1)) {
      const changed = Buffer.from(impression);
      changed[0] = (changed[0] & 0xf0) | TRACKING_EVENTS.indexOf(event);
      expect(verifyToken(changed.toString('base64url'), SECRET, NOW)).toEqual({
        ok: false,
        reason: 'bad_signature',
      });
    }
  });

  it('refuses a token signed with another secret', () => {
    expect(verifyToken(signToken(payload, SECRET), NEW_SECRET, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('is accepted up to its expiry second and refused after', () => {
    const token = signToken(payload, SECRET);
    expect(verifyToken(token, SECRET, payload.expiresAt).ok).toBe(true);
    expect(verifyToken(token, SECRET, payload.expiresAt + 1)).toEqual({ ok: false, reason: 'expired' });
  });

  it('checks the signature before the expiry', () => {
    const bytes = Buffer.from(signToken(payload, SECRET), 'base64url');
    bytes[bytes.length - 1] ^= 0xff;
    expect(verifyToken(bytes.toString('base64url'), SECRET, NOW + 10 * 86_400)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rotates secrets: signs with the first, verifies with any', () => {
    const old = signToken(payload, SECRET);
    const fresh = signToken(payload, [NEW_SECRET, SECRET]);
    expect(verifyToken(old, [NEW_SECRET, SECRET], NOW).ok).toBe(true);
    expect(verifyToken(fresh, [NEW_SECRET, SECRET], NOW).ok).toBe(true);
    expect(verifyToken(fresh, NEW_SECRET, NOW).ok).toBe(true);
    expect(verifyToken(old, NEW_SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.each([
    ['empty', ''],
    ['too short', 'abcd'],
    ['not base64url', signToken(payload, SECRET).slice(0, -4) + '*!*!'],
    ['padded', signToken(payload, SECRET) + '='],
    ['a length no base64 can have', 'A'.repeat(121)],
    ['huge', 'A'.repeat(5000)],
  ])('calls %s input malformed', (_, token) => {
    expect(verifyToken(token, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('calls correctly signed bytes that do not parse malformed', () => {
    const bytes = Buffer.from(signToken(payload, SECRET), 'base64url');
    const futureVersion = Buffer.from(bytes);
    futureVersion[0] = 0x41;
    const unknownEvent = Buffer.from(bytes);
    unknownEvent[0] = 0x3f;
    const extraByte = Buffer.concat([
      bytes.subarray(0, bytes.length - 9),
      Buffer.from([0]),
      bytes.subarray(-9),
    ]);
    for (const forged of [futureVersion, unknownEvent, extraByte]) {
      expect(verifyToken(resign(forged, SECRET), SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it.each([
    ['a campaign id that is not a UUID', { campaignId: 'campaign-1' }],
    ['a variant id with a non-hex digit', { variantId: '0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6g' }],
    ['a serving id without its dashes', { adServingId: 'a3f9e0c21b4d4e6f8a9b0c1d2e3f4a5b0000' }],
    ['a serving id with a non-ASCII digit', { adServingId: 'a3f9e0c2-1b4d-4e6f-8a9b-0c1d2e3f4a5é' }],
    ['an unknown event', { event: 'conversion' }],
    ['expiry before issue', { expiresAt: NOW - 1 }],
    ['fractional seconds', { issuedAt: NOW + 0.5 }],
    ['a segment over 255 bytes', { segment: 'é'.repeat(128) }],
  ])('refuses to sign %s', (_, change) => {
    expect(() => signToken({ ...payload, ...change } as TrackingTokenPayload, SECRET)).toThrow(RangeError);
  });

  it('refuses secrets shorter than 32 bytes, and no secret at all', () => {
    expect(() => signToken(payload, 'short')).toThrow(/32 bytes/);
    expect(() => signToken(payload, [])).toThrow(RangeError);
    expect(() => verifyToken(signToken(payload, SECRET), [SECRET, 'short'], NOW)).toThrow(/32 bytes/);
  });
});

describe('eventFromToken', () => {
  it('turns a pixel hit into an event whose id repeats for the same ad serving and event', () => {
    const event = eventFromToken(payload, Date.UTC(2027, 0, 15, 10, 30));
    expect(event).toEqual({
      id: 't:a3f9e0c2-1b4d-4e6f-8a9b-0c1d2e3f4a5b:firstQuartile',
      type: 'firstQuartile',
      variantId: payload.variantId,
      segment: 'young-urban',
      ts: Date.UTC(2027, 0, 15, 10, 30),
    });
    expect(eventFromToken(payload, 0).id).toBe(event.id);
    expect(eventFromToken({ ...payload, event: 'complete' }, 0).id).not.toBe(event.id);
  });
});
