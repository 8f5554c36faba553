import { createHmac, createSecretKey, KeyObject, timingSafeEqual } from 'node:crypto';
import type { EngagementEvent } from './events';

/**
 * Signed tokens for tracking pixels (`GET /t/:token`). A token is base64url of
 *
 *   byte 0        version (high nibble) | event (low nibble, index in TRACKING_EVENTS)
 *   bytes 1–16    campaignId (UUID)
 *   bytes 17–32   variantId (UUID)
 *   bytes 33–48   adServingId (UUID)
 *   bytes 49–52   issuedAt, seconds, unsigned 32-bit big-endian
 *   1–5 bytes     lifetime (expiresAt − issuedAt), seconds, unsigned LEB128
 *   1 + n bytes   segment: length, then UTF-8
 *   1 + n bytes   format: length, then UTF-8
 *   tag           9 bytes (version 3) or 16 bytes (version 2)
 *
 * Version 3 (signed now): the tag of event e is bytes 9·e to 9·e + 9 of HMAC-SHA512(secret, m ‖ 0),
 * where m is everything before the tag with the event bits of byte 0 cleared. One HMAC-SHA512 thus
 * yields the tags of all seven events: an ad serving costs one HMAC, the largest part of the ad
 * route's own work. Slices of one PRF output are independent (the argument of HKDF-Expand), so the
 * token of one event tells nothing about the tag of another: a player handed the impression pixel
 * cannot make the click pixel of the same serving. A 72-bit tag means forging one takes about 2⁷¹
 * online guesses against the pixel endpoint; NIST SP 800-107 allows HMAC truncated to 64 bits.
 * A token for segment `young-urban`, format `9x16` and a one-day lifetime is 82 bytes, 110 characters;
 * each 3 more bytes of segment or format add 4.
 *
 * Version 2 (still verified, so pixels issued before an upgrade keep counting for their lifetime):
 * 16-byte tags, four per HMAC, the block number ⌊e/4⌋ as the last byte of the MAC input.
 *
 * Secrets rotate by list: the first signs, every one verifies, so a new secret goes first and the
 * old one stays listed until tokens signed with it have expired.
 */

/** Events a pixel can report. The index is the wire value: append only. */
export const TRACKING_EVENTS = [
  'impression',
  'start',
  'firstQuartile',
  'midpoint',
  'thirdQuartile',
  'complete',
  'click',
] as const;
export type TrackingEvent = (typeof TRACKING_EVENTS)[number];

export interface TrackingTokenPayload {
  campaignId: string;
  variantId: string;
  /** The VAST `AdServingId` of the response that carried the pixel; a UUID. */
  adServingId: string;
  segment: string;
  format: string;
  event: TrackingEvent;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds; the token is refused after this second. */
  expiresAt: number;
}

export type TokenSecrets = string | Uint8Array | readonly (string | Uint8Array)[];

export type TokenVerification =
  | { ok: true; payload: TrackingTokenPayload }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export const MIN_SECRET_BYTES = 32;

/** How each version cuts tags from HMAC-SHA512 outputs (64 bytes each). */
interface TagLayout {
  tagBytes: number;
  tagsPerMac: number;
}
const LAYOUTS: Record<number, TagLayout> = {
  2: { tagBytes: 16, tagsPerMac: 4 },
  3: { tagBytes: 9, tagsPerMac: 7 },
};
const VERSION = 3;
const { tagBytes: MAC_BYTES, tagsPerMac: TAGS_PER_MAC } = LAYOUTS[VERSION];
const UUID_BYTES = 16;
const ISSUED_AT_OFFSET = 1 + 3 * UUID_BYTES;
const FIXED_BYTES = ISSUED_AT_OFFSET + 4;
const SHORTEST_TAG = Math.min(...Object.values(LAYOUTS).map((layout) => layout.tagBytes));
const LONGEST_TAG = Math.max(...Object.values(LAYOUTS).map((layout) => layout.tagBytes));
/** Version, ids, issuedAt, a 1-byte lifetime, two empty strings and the tag. */
const MIN_TOKEN_BYTES = FIXED_BYTES + 1 + 2 + SHORTEST_TAG;
const MAX_TOKEN_BYTES = FIXED_BYTES + 5 + 2 * 256 + LONGEST_TAG;
const MAX_TOKEN_CHARS = Math.ceil((MAX_TOKEN_BYTES * 4) / 3);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const MALFORMED = Object.freeze({ ok: false, reason: 'malformed' } as const);
const BAD_SIGNATURE = Object.freeze({ ok: false, reason: 'bad_signature' } as const);
const EXPIRED = Object.freeze({ ok: false, reason: 'expired' } as const);

export function signToken(payload: TrackingTokenPayload, secrets: TokenSecrets): string {
  return signTokens(payload, [payload.event], secrets)[payload.event];
}

/** Tokens for several events of one ad serving (see `TokenTemplate`). */
export function signTokens<E extends TrackingEvent>(
  payload: Omit<TrackingTokenPayload, 'event'>,
  events: readonly E[],
  secrets: TokenSecrets,
): Record<E, string> {
  const { issuedAt, expiresAt } = payload;
  return new TokenTemplate(payload, expiresAt - issuedAt).sign(
    payload.adServingId,
    issuedAt,
    events,
    secrets,
  );
}

/**
 * The bytes of a token that are the same for every serving of one render (campaign, variant,
 * segment, format, lifetime), written once. Signing a serving then writes its AdServingId and time,
 * and costs one HMAC per event: the tokens of one serving differ only in the event byte.
 */
export class TokenTemplate {
  private readonly bytes: Buffer;
  private readonly signedLength: number;

  constructor(
    fields: Pick<TrackingTokenPayload, 'campaignId' | 'variantId' | 'segment' | 'format'>,
    readonly lifetimeSeconds: number,
  ) {
    if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 0 || lifetimeSeconds > 0xffff_ffff) {
      throw new RangeError(
        `expiresAt must be whole unix seconds, at most 2³² s after issuedAt, got a lifetime of ${lifetimeSeconds}`,
      );
    }
    const segment = shortText('segment', fields.segment);
    const format = shortText('format', fields.format);
    this.signedLength = FIXED_BYTES + varintLength(lifetimeSeconds) + 1 + segment.length + 1 + format.length;
    this.bytes = Buffer.alloc(this.signedLength + MAC_BYTES);
    writeUuid(this.bytes, 1, fields.campaignId);
    writeUuid(this.bytes, 1 + UUID_BYTES, fields.variantId);
    let offset = writeVarint(this.bytes, FIXED_BYTES, lifetimeSeconds);
    offset = writeShortText(this.bytes, offset, segment);
    writeShortText(this.bytes, offset, format);
  }

  sign<E extends TrackingEvent>(
    adServingId: string,
    issuedAt: number,
    events: readonly E[],
    secrets: TokenSecrets,
  ): Record<E, string> {
    const all = this.signAll(adServingId, issuedAt, secrets);
    const tokens = {} as Record<E, string>;
    for (const event of events) {
      const eventIndex = TRACKING_EVENTS.indexOf(event);
      if (eventIndex < 0) throw new RangeError(`unknown tracking event ${String(event)}`);
      tokens[event] = all[eventIndex];
    }
    return tokens;
  }

  /** The tokens of every event of one serving, in `TRACKING_EVENTS` order: one HMAC in all. */
  signAll(adServingId: string, issuedAt: number, secrets: TokenSecrets): string[] {
    const [signingKey] = secretList(secrets);
    if (!Number.isInteger(issuedAt) || issuedAt < 0 || issuedAt > 0xffff_ffff) {
      throw new RangeError(`issuedAt must be whole unix seconds, got ${issuedAt}`);
    }
    const token = Buffer.allocUnsafe(this.bytes.length);
    this.bytes.copy(token);
    writeUuid(token, 1 + 2 * UUID_BYTES, adServingId);
    token.writeUInt32BE(issuedAt, ISSUED_AT_OFFSET);
    token[0] = VERSION << 4;
    let block = 0;
    let macs = mac(signingKey, token, this.signedLength, block);
    const tokens: string[] = new Array(TRACKING_EVENTS.length);
    for (let eventIndex = 0; eventIndex < TRACKING_EVENTS.length; eventIndex++) {
      // Seven events and seven tags per HMAC: today every tag comes from block 0.
      if (Math.floor(eventIndex / TAGS_PER_MAC) !== block) {
        block = Math.floor(eventIndex / TAGS_PER_MAC);
        macs = mac(signingKey, token, this.signedLength, block);
      }
      const start = (eventIndex % TAGS_PER_MAC) * MAC_BYTES;
      token[0] = (VERSION << 4) | eventIndex;
      token.write(macs.substring(start, start + MAC_BYTES), this.signedLength, MAC_BYTES, 'latin1');
      tokens[eventIndex] = token.toString('base64url');
    }
    return tokens;
  }
}

/**
 * Checks the tag against every secret in constant time, then the expiry. A token whose bytes were
 * altered fails on its tag, so `malformed` means it could not be a token at all.
 */
export function verifyToken(token: string, secrets: TokenSecrets, nowSeconds: number): TokenVerification {
  const chars = token.length;
  if (chars > MAX_TOKEN_CHARS || chars % 4 === 1 || !BASE64URL.test(token)) return MALFORMED;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length < MIN_TOKEN_BYTES) return MALFORMED;
  const layout = LAYOUTS[bytes[0] >> 4];
  if (!layout) return MALFORMED;
  const signedLength = bytes.length - layout.tagBytes;
  const tag = bytes.subarray(signedLength);

  const eventIndex = bytes[0] & 0x0f;
  const block = Math.floor(eventIndex / layout.tagsPerMac);
  const start = (eventIndex % layout.tagsPerMac) * layout.tagBytes;
  let signed = false;
  for (const key of secretList(secrets)) {
    const expected = mac(key, bytes, signedLength, block).substring(start, start + layout.tagBytes);
    if (timingSafeEqual(Buffer.from(expected, 'latin1'), tag)) {
      signed = true;
      break;
    }
  }
  if (!signed) return BAD_SIGNATURE;

  const payload = readPayload(bytes, signedLength);
  if (!payload) return MALFORMED;
  if (nowSeconds > payload.expiresAt) return EXPIRED;
  return { ok: true, payload };
}

/**
 * The engagement event a verified pixel stands for. Its id is derived from the ad serving, so a
 * player that fires the same pixel twice for one ad counts once.
 */
export function eventFromToken(payload: TrackingTokenPayload, atMs: number): EngagementEvent {
  return {
    id: `t:${payload.adServingId}:${payload.event}`,
    type: payload.event,
    variantId: payload.variantId,
    segment: payload.segment,
    ts: atMs,
  };
}

/**
 * HMAC-SHA512 of the first `length` bytes, event bits of byte 0 cleared, and the block number; the
 * 64 bytes as a latin1 string.
 */
function mac(key: MacKey, bytes: Buffer, length: number, block: number): string {
  const first = bytes[0];
  bytes[0] = first & 0xf0;
  const digest = key.digest(bytes, length, block);
  bytes[0] = first;
  return digest;
}

/** One secret as a KeyObject, made once: `createHmac` then need not copy the secret per call. */
class MacKey {
  private readonly key: KeyObject;

  constructor(secret: Buffer) {
    this.key = createSecretKey(secret);
  }

  /** HMAC-SHA512 of `message[0, length)` followed by the byte `last`, as a latin1 string. */
  digest(message: Buffer, length: number, last: number): string {
    return createHmac('sha512', this.key)
      .update(message.subarray(0, length))
      .update(BLOCK_BYTES[last])
      .digest('binary');
  }
}

/** The one-byte block numbers the MAC input ends with. */
const BLOCK_BYTES = Array.from({ length: 4 }, (_, block) => Buffer.of(block));

/**
 * Checked secrets as keys, remembered per list: callers pass the same list (from the settings) every
 * time, and a new list is checked again.
 */
const checkedLists = new WeakMap<object, readonly MacKey[]>();
const checkedSecrets = new Map<string, readonly MacKey[]>();

function secretList(secrets: TokenSecrets): readonly MacKey[] {
  const known = typeof secrets === 'string' ? checkedSecrets.get(secrets) : checkedLists.get(secrets);
  if (known) return known;
  const list = typeof secrets === 'string' || secrets instanceof Uint8Array ? [secrets] : secrets;
  if (list.length === 0) throw new RangeError('at least one tracking-token secret is required');
  const keys = list.map((secret) => {
    const bytes = typeof secret === 'string' ? Buffer.from(secret) : Buffer.from(secret);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new RangeError(
        `tracking-token secrets need at least ${MIN_SECRET_BYTES} bytes, got ${bytes.length}`,
      );
    }
    return new MacKey(bytes);
  });
  if (typeof secrets === 'string') {
    if (checkedSecrets.size > 100) checkedSecrets.clear();
    checkedSecrets.set(secrets, keys);
  } else checkedLists.set(secrets, keys);
  return keys;
}

function readPayload(bytes: Buffer, end: number): TrackingTokenPayload | undefined {
  const event = TRACKING_EVENTS[bytes[0] & 0x0f];
  if (event === undefined) return undefined;
  const issuedAt = bytes.readUInt32BE(ISSUED_AT_OFFSET);

  let offset = FIXED_BYTES;
  let lifetime = 0;
  for (let shift = 0; ; shift += 7) {
    if (offset >= end || shift > 28) return undefined;
    const byte = bytes[offset++];
    lifetime += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  const segmentEnd = offset + 1 + bytes[offset];
  if (segmentEnd >= end) return undefined;
  const formatEnd = segmentEnd + 1 + bytes[segmentEnd];
  if (formatEnd !== end) return undefined;

  return {
    campaignId: readUuid(bytes, 1),
    variantId: readUuid(bytes, 1 + UUID_BYTES),
    adServingId: readUuid(bytes, 1 + 2 * UUID_BYTES),
    segment: bytes.toString('utf8', offset + 1, segmentEnd),
    format: bytes.toString('utf8', segmentEnd + 1, formatEnd),
    event,
    issuedAt,
    expiresAt: issuedAt + lifetime,
  };
}

function shortText(name: string, text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 255) throw new RangeError(`${name} must be at most 255 bytes of UTF-8`);
  return bytes;
}

function writeShortText(target: Buffer, offset: number, text: Buffer): number {
  target[offset] = text.length;
  text.copy(target, offset + 1);
  return offset + 1 + text.length;
}

function varintLength(value: number): number {
  let length = 1;
  for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) length++;
  return length;
}

function writeVarint(target: Buffer, offset: number, value: number): number {
  let rest = value;
  let at = offset;
  while (rest >= 0x80) {
    target[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  target[at++] = rest;
  return at;
}

/** Each ASCII code's hex digit value, −1 for a character that is not one. */
const HEX_DIGIT = Array.from({ length: 128 }, (_, code) => {
  const digit = parseInt(String.fromCharCode(code), 16);
  return Number.isNaN(digit) ? -1 : digit;
});

/** The 16 bytes of a UUID written as text (any case); one pass, as this runs per ad serving. */
function writeUuid(target: Buffer, offset: number, uuid: string): void {
  let ok = uuid.length === 36;
  let at = offset;
  for (let i = 0; ok && i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) ok = uuid.charCodeAt(i++) === 0x2d;
    const high = HEX_DIGIT[uuid.charCodeAt(i)] ?? -1;
    const low = HEX_DIGIT[uuid.charCodeAt(i + 1)] ?? -1;
    if (high < 0 || low < 0) ok = false;
    else target[at++] = (high << 4) | low;
  }
  if (!ok) throw new RangeError(`not a UUID: ${uuid}`);
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function readUuid(bytes: Buffer, offset: number): string {
  let uuid = '';
  for (let i = 0; i < UUID_BYTES; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) uuid += '-';
    uuid += HEX[bytes[offset + i]];
  }
  return uuid;
}
