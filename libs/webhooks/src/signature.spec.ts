import { Webhook, WebhookVerificationError } from 'standardwebhooks';
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

describe("against the standardwebhooks package (the specification authors' receiver library)", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const RAW = { jsonParse: false };
  const bodies = ['{"type":"variant.ready","data":{"id":"0b9f"}}', '', 'ünïcödé ✓ \n {"a":[1,2]}'];

  it('verifies what our signer sends, with our secrets, and refuses it tampered or late', () => {
    for (const secret of [SECRET, generateWebhookSecret()]) {
      const receiver = new Webhook(secret);
      for (const body of bodies) {
        const headers = webhookHeaders(secret, `msg_${Math.random().toString(36).slice(2)}`, now(), body);
        expect(() => receiver.verify(body, headers, RAW)).not.toThrow();
        expect(() => receiver.verify(`${body} `, headers, RAW)).toThrow(WebhookVerificationError);
        const late = webhookHeaders(secret, headers['webhook-id'], now() - 10 * 60, body);
        expect(() => receiver.verify(body, late, RAW)).toThrow(WebhookVerificationError);
      }
    }
  });

  it("signs as the package signs, and our receiver check accepts the package's signatures", () => {
    const secret = generateWebhookSecret();
    const sender = new Webhook(secret);
    for (const body of bodies) {
      const timestamp = now();
      const signature = sender.sign(ID, new Date(timestamp * 1000), body);
      expect(signWebhook(secret, ID, timestamp, body)).toBe(signature);
      const headers = {
        'webhook-id': ID,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature,
      };
      expect(verifyWebhook(secret, body, headers)).toBe(true);
      expect(verifyWebhook(generateWebhookSecret(), body, headers)).toBe(false);
    }
    expect(new Webhook(SECRET).sign(ID, new Date(TIMESTAMP * 1000), BODY)).toBe(SIGNATURE);
  });
});
