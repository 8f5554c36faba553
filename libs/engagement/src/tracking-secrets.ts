import { AdloomConfig } from '@adloom/config';
import { MIN_SECRET_BYTES } from './tracking-token';

/**
 * The tracking-token secrets from `TRACKING_SECRET`: one secret, or several separated by commas while
 * rotating (the first signs, all verify). Returns a message saying what is wrong instead when the
 * setting is missing or a secret is too short to sign with.
 */
export function trackingSecrets(config: AdloomConfig): { secrets: string[] } | { problem: string } {
  if (!config.TRACKING_SECRET) {
    return {
      problem: 'TRACKING_SECRET is not set: delivery and tracking pixels need it to sign and check URLs.',
    };
  }
  const secrets = config.TRACKING_SECRET.split(',').map((secret) => secret.trim());
  if (secrets.some((secret) => Buffer.byteLength(secret) < MIN_SECRET_BYTES)) {
    return {
      problem: `TRACKING_SECRET must hold secrets of at least ${MIN_SECRET_BYTES} bytes each (e.g. openssl rand -base64 32).`,
    };
  }
  return { secrets };
}
