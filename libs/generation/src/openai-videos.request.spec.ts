import {
  DEFAULT_RETRY_AFTER_MS,
  isContentRefusalCode,
  openAiSeconds,
  openAiSize,
  parseOpenAiVideo,
  parseRetryAfter,
} from './openai-videos.request';

describe('openAiSeconds', () => {
  it.each([
    [1000, '4'],
    [4000, '4'],
    [4001, '8'],
    [6000, '8'],
    [8000, '8'],
    [10_000, '12'],
    [12_000, '12'],
    [15_000, '12'],
    [30_000, '12'],
  ])('%i ms → "%s"', (durationMs, seconds) => {
    expect(openAiSeconds(durationMs)).toBe(seconds);
  });
});

describe('openAiSize', () => {
  it.each([
    [1080, 1920, '720x1280'],
    [720, 1280, '720x1280'],
    [1920, 1080, '1280x720'],
    [1080, 1350, '720x1280'],
    [1200, 628, '1280x720'],
    [1024, 1792, '1024x1792'],
    [1792, 1024, '1792x1024'],
    [1080, 1080, '720x1280'],
    [1350, 1080, '1280x720'],
    [1080, 1921, '720x1280'],
  ])('%ix%i → %s', (width, height, size) => {
    expect(openAiSize(width, height)).toBe(size);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T10:00:00Z');

  it('reads delta seconds', () => {
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 2.5 ', now)).toBe(2500);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:59:00 GMT', now)).toBe(0);
  });

  it('falls back to a default when the header is missing or unreadable', () => {
    expect(parseRetryAfter(null, now)).toBe(DEFAULT_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBe(DEFAULT_RETRY_AFTER_MS);
  });
});

describe('isContentRefusalCode', () => {
  it('knows moderation and policy codes, and nothing else', () => {
    expect(isContentRefusalCode('moderation_blocked')).toBe(true);
    expect(isContentRefusalCode('content_policy_violation')).toBe(true);
    expect(isContentRefusalCode('output_moderation_failed')).toBe(true);
    expect(isContentRefusalCode('internal_error')).toBe(false);
    expect(isContentRefusalCode('rate_limit_exceeded')).toBe(false);
    expect(isContentRefusalCode(undefined)).toBe(false);
  });
});

describe('parseOpenAiVideo', () => {
  it('reads a Video object', () => {
    expect(
      parseOpenAiVideo({
        id: 'video_1',
        object: 'video',
        status: 'failed',
        progress: 10,
        model: 'sora-2',
        seconds: '8',
        error: { code: 'moderation_blocked', message: 'no' },
      }),
    ).toEqual({
      id: 'video_1',
      status: 'failed',
      progress: 10,
      model: 'sora-2',
      seconds: '8',
      size: undefined,
      error: { code: 'moderation_blocked', message: 'no' },
    });
  });

  it('rejects bodies that are not Video objects', () => {
    expect(parseOpenAiVideo({ id: 'video_1', status: 'done' })).toBeUndefined();
    expect(parseOpenAiVideo({ status: 'queued' })).toBeUndefined();
    expect(parseOpenAiVideo('video_1')).toBeUndefined();
    expect(parseOpenAiVideo(null)).toBeUndefined();
  });
});
