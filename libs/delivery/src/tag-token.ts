import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A VAST tag's identity in its URL: base64url of the tag id (16 bytes) and the first 16 bytes of
 * HMAC-SHA256(secret, "adloom-tag" ‖ id). 43 characters. The signature lets the edge refuse made-up
 * ids without a lookup; revocation is the tag row's, checked against the edge's snapshot of tags.
 * Secrets rotate as for tracking tokens: the first signs, every one verifies.
 */

const ID_BYTES = 16;
const TAG_BYTES = 16;
const CONTEXT = Buffer.from('adloom-tag');

export function signTag(tagId: string, secrets: readonly string[]): string {
  const id = uuidBytes(tagId);
  return Buffer.concat([id, mac(secrets[0], id)]).toString('base64url');
}

/** The tag id when the token is one of ours, undefined otherwise. */
export function verifyTag(token: string, secrets: readonly string[]): string | undefined {
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length !== ID_BYTES + TAG_BYTES || bytes.toString('base64url') !== token) return undefined;
  const id = bytes.subarray(0, ID_BYTES);
  const tag = bytes.subarray(ID_BYTES);
  if (!secrets.some((secret) => timingSafeEqual(mac(secret, id), tag))) return undefined;
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function mac(secret: string, id: Buffer): Buffer {
  return createHmac('sha256', secret).update(CONTEXT).update(id).digest().subarray(0, TAG_BYTES);
}

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${uuid}`);
  return Buffer.from(hex, 'hex');
}
