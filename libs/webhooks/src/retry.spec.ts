import { loadConfig } from '@adloom/config';
import { attemptJobId, decideAfterAttempt } from './retry';

const DAY = loadConfig({}).WEBHOOK_RETRY_DELAYS;

describe('after a webhook attempt', () => {
  it('delivers on any 2xx', () => {
    expect(decideAfterAttempt(200, 1, DAY)).toEqual({ status: 'delivered' });
    expect(decideAfterAttempt(204, 10, DAY)).toEqual({ status: 'delivered' });
  });

  it('retries errors, redirects and no answer on the schedule, then fails', () => {
    expect(decideAfterAttempt(500, 1, DAY)).toEqual({ status: 'pending', retryInMs: 30_000 });
    expect(decideAfterAttempt(302, 2, DAY)).toEqual({ status: 'pending', retryInMs: 120_000 });
    expect(decideAfterAttempt(null, 9, DAY)).toEqual({ status: 'pending', retryInMs: 28_800_000 });
    expect(decideAfterAttempt(503, 10, DAY)).toEqual({ status: 'failed', disableEndpoint: false });
  });

  it('spreads the default retries over about a day', () => {
    const hours = DAY.reduce((a, b) => a + b, 0) / 3_600_000;
    expect(hours).toBeGreaterThan(20);
    expect(hours).toBeLessThan(26);
  });

  it('gives up at once on 410 Gone and disables the endpoint', () => {
    expect(decideAfterAttempt(410, 1, DAY)).toEqual({ status: 'failed', disableEndpoint: true });
  });

  it('names attempt jobs by delivery, without colons', () => {
    expect(attemptJobId('d1', 1)).toBe('d1');
    expect(attemptJobId('d1', 3)).toBe('d1-3');
  });
});
