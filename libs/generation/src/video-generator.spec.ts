import { MediaError } from '@adloom/media';
import { GenerationError, isRetryable, retryAfterMs } from './video-generator';

describe('isRetryable', () => {
  it.each([
    ['transient', true],
    ['rate_limited', true],
    ['timeout', true],
    ['content_refused', false],
    ['cancelled', false],
    ['misconfigured', false],
    ['invalid_request', false],
  ] as const)('%s → %s', (code, retryable) => {
    expect(isRetryable(new GenerationError(code, 'x'))).toBe(retryable);
  });

  it('retries unexpected faults and other libs’ server errors, not their client errors', () => {
    expect(isRetryable(new Error('ENOSPC'))).toBe(true);
    expect(isRetryable(new MediaError('ffmpeg_failed', 'x'))).toBe(true);
    expect(isRetryable(new MediaError('invalid_input', 'x'))).toBe(false);
  });
});

describe('retryAfterMs', () => {
  it('reads the wait a rate-limited error carries', () => {
    expect(retryAfterMs(new GenerationError('rate_limited', 'x', { retryAfterMs: 1500 }))).toBe(1500);
    expect(retryAfterMs(new GenerationError('transient', 'x'))).toBeUndefined();
  });
});
