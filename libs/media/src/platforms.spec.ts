import { checkRender, FORMATS, maxFileBytesFor, platformsFor, safeZoneFor } from './platforms';
import { ProbeResult, ProbeStream } from './probe';

const stream = (overrides: Partial<ProbeStream>): ProbeStream => ({
  index: 0,
  codecType: 'video',
  codecName: null,
  profile: null,
  width: null,
  height: null,
  pixFmt: null,
  frameRate: null,
  avgFrameRate: null,
  sampleRate: null,
  channels: null,
  durationSec: 6,
  bitRate: null,
  frameCount: null,
  ...overrides,
});

const goodRender = (width = 1080, height = 1920): ProbeResult => ({
  format: {
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    durationSec: 6.02,
    sizeBytes: 1_200_000,
    bitRate: 1_600_000,
    tags: {},
  },
  streams: [
    stream({
      codecName: 'h264',
      profile: 'High',
      width,
      height,
      pixFmt: 'yuv420p',
      frameRate: 30,
      avgFrameRate: 30,
    }),
    stream({
      index: 1,
      codecType: 'audio',
      codecName: 'aac',
      profile: 'LC',
      sampleRate: 48_000,
      channels: 2,
    }),
  ],
});

describe('platform table', () => {
  it('maps each format to the placements it serves', () => {
    expect(platformsFor('9x16').map((platform) => platform.id)).toEqual([
      'tiktok_in_feed',
      'meta_reels',
      'meta_stories',
      'youtube_shorts',
    ]);
    expect(platformsFor('4x5').map((platform) => platform.id)).toEqual(['meta_feed']);
    expect(platformsFor('16x9').map((platform) => platform.id)).toEqual([
      'tiktok_in_feed',
      'youtube_instream',
    ]);
    // 3 s is below TikTok's 5 s minimum.
    expect(platformsFor('9x16', 3_000).map((platform) => platform.id)).not.toContain('tiktok_in_feed');
  });

  it('takes the strictest margin at each edge of a format', () => {
    // Reels' top 14 % and bottom 35 %, TikTok's 150 px action rail.
    expect(safeZoneFor('9x16')).toEqual({ top: 269, right: 150, bottom: 672, left: 65 });
    // Meta Feed's 64 px, or 5 % title-safe where that is larger.
    expect(safeZoneFor('1x1')).toEqual({ top: 64, right: 64, bottom: 64, left: 64 });
    expect(safeZoneFor('4x5')).toEqual({ top: 68, right: 64, bottom: 68, left: 64 });
    expect(safeZoneFor('16x9')).toEqual({ top: 54, right: 96, bottom: 54, left: 96 });
    expect(maxFileBytesFor('9x16')).toBe(500_000_000);
    expect(maxFileBytesFor('4x5')).toBe(4_000_000_000);
  });
});

describe('checkRender', () => {
  it('accepts a render that meets every platform of its format', () => {
    expect(checkRender(goodRender(), '9x16', 6000)).toEqual([]);
    const { width, height } = FORMATS['16x9'];
    expect(checkRender(goodRender(width, height), '16x9', 6000)).toEqual([]);
  });

  it('names everything that is wrong', () => {
    const render = goodRender(1080, 1080);
    render.format.durationSec = 5.8;
    render.format.sizeBytes = 600_000_000;
    render.format.bitRate = 400_000;
    render.streams[0] = {
      ...render.streams[0],
      profile: 'Main',
      pixFmt: 'yuv444p',
      frameRate: 60,
      avgFrameRate: 59.94,
    };
    render.streams.pop();
    const violations = checkRender(render, '9x16', 6000);
    expect(violations.map((violation) => [violation.code, violation.severity])).toEqual([
      ['video_profile', 'error'],
      ['pixel_format', 'error'],
      ['size', 'error'],
      ['frame_rate', 'error'],
      ['duration', 'error'],
      ['audio_missing', 'error'],
      ['file_size', 'error'],
      ['bitrate', 'warning'],
    ]);
    expect(violations.find((violation) => violation.code === 'size')?.detail).toBe(
      'frame is 1080×1080, expected 1080×1920',
    );
  });

  it('flags a variable frame rate and a wrong codec', () => {
    const render = goodRender();
    render.streams[0] = { ...render.streams[0], codecName: 'hevc', frameRate: 30, avgFrameRate: 27.4 };
    render.streams[1] = { ...render.streams[1], codecName: 'opus', sampleRate: 22_050, channels: 1 };
    expect(checkRender(render, '9x16', 6000).map((violation) => violation.code)).toEqual([
      'video_codec',
      'frame_rate',
      'audio_codec',
      'audio_sample_rate',
      'audio_channels',
    ]);
  });
});
