import { generateWebhookSecret, signWebhook, verifyWebhook, webhookHeaders } from './signature';

// The Standard Webhooks specification's published test vector: matching it means any of that
// specification's receiver libraries accepts our deliveries.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('Standard Webhooks signatures', () => {
  it('reproduces the reference signature', () => {
    expect(signWebhook(SECRET, ID, TIMESTAMP, BODY)).toBe(SIGNATURE);
  });

  it('verifies the reference message within the tolerance and not after it', () => {
    const headers = {
      'webhook-id': ID,
      'webhook-timestamp': String(TIMESTAMP),
      'webhook-signature': SIGNATURE,
    };
    expect(verifyWebhook(SECRET, BODY, headers, { nowSeconds: TIMESTAMP + 299 })).toBe(true);
    expect(verifyWebhook(SECRET, BODY, headers, { nowSeconds: TIMESTAMP - 299 })).toBe(true);
    expect(verifyWebhook(SECRET, BODY, headers, { nowSeconds: TIMESTAMP + 301 })).toBe(false);
  });

  it('refuses a changed body, id or timestamp, another secret, and a missing header', () => {
    const now = { nowSeconds: TIMESTAMP };
    const headers = webhookHeaders(SECRET, ID, TIMESTAMP, BODY);
    expect(verifyWebhook(SECRET, BODY, { ...headers }, now)).toBe(true);
    expect(verifyWebhook(SECRET, BODY.replace('4}', '5}'), { ...headers }, now)).toBe(false);
    expect(verifyWebhook(SECRET, BODY, { ...headers, 'webhook-id': 'msg_other' }, now)).toBe(false);
    expect(verifyWebhook(SECRET, BODY, { ...headers, 'webhook-timestamp': String(TIMESTAMP + 1) }, now)).toBe(
      false,
    );
    expect(verifyWebhook(generateWebhookSecret(), BODY, { ...headers }, now)).toBe(false);
    expect(
      verifyWebhook(SECRET, BODY, { 'webhook-id': ID, 'webhook-timestamp': String(TIMESTAMP) }, now),
    ).toBe(false);
  });

  it('reads the headers whatever their case', () => {
    const headers = {
      'Webhook-Id': ID,
      'WEBHOOK-TIMESTAMP': String(TIMESTAMP),
      'Webhook-Signature': SIGNATURE,
    };
    expect(verifyWebhook(SECRET, BODY, headers, { nowSeconds: TIMESTAMP })).toBe(true);
  });

  it('accepts any one of several space-separated signatures (secret rotation)', () => {
    const other = signWebhook(generateWebhookSecret(), ID, TIMESTAMP, BODY);
    const headers = { 'webhook-id': ID, 'webhook-timestamp': String(TIMESTAMP) };
    expect(
      verifyWebhook(
        SECRET,
        BODY,
        { ...headers, 'webhook-signature': `${other} ${SIGNATURE}` },
        { nowSeconds: TIMESTAMP },
      ),
    ).toBe(true);
    expect(
      verifyWebhook(
        SECRET,
        BODY,
        { ...headers, 'webhook-signature': `v2,${SIGNATURE.slice(3)}` },
        { nowSeconds: TIMESTAMP },
      ),
    ).toBe(false);
  });

  it('makes secrets of whsec_ and 24 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});
