/**
 * RFC 6381 codecs of an Adloom render: H.264 High profile (`avc1.64`), no constraint flags, and the
 * lowest level whose frame size and macroblock rate hold the frame at 30 fps (the level x264 writes
 * for CRF encodes without VBV); AAC-LC audio.
 */
export function renderCodecs(width: number, height: number, fps = 30): string {
  return `avc1.6400${h264Level(width, height, fps).toString(16).padStart(2, '0')}, mp4a.40.2`;
}

/** [level × 10, max macroblocks per frame, max macroblocks per second], from H.264 Table A-1. */
const LEVELS: readonly (readonly [number, number, number])[] = [
  [10, 99, 1_485],
  [11, 396, 3_000],
  [12, 396, 6_000],
  [13, 396, 11_880],
  [20, 396, 11_880],
  [21, 792, 19_800],
  [22, 1_620, 20_250],
  [30, 1_620, 40_500],
  [31, 3_600, 108_000],
  [32, 5_120, 216_000],
  [40, 8_192, 245_760],
  [42, 8_704, 522_240],
  [50, 22_080, 589_824],
  [51, 36_864, 983_040],
  [52, 36_864, 2_073_600],
  [60, 139_264, 4_177_920],
  [61, 139_264, 8_355_840],
  [62, 139_264, 16_711_680],
];

export function h264Level(width: number, height: number, fps: number): number {
  const frame = Math.ceil(width / 16) * Math.ceil(height / 16);
  const rate = frame * fps;
  // A frame side may not exceed sqrt(8 × MaxFS) macroblocks.
  const side = Math.max(Math.ceil(width / 16), Math.ceil(height / 16));
  for (const [level, maxFrame, maxRate] of LEVELS) {
    if (frame <= maxFrame && rate <= maxRate && side * side <= 8 * maxFrame) return level;
  }
  return LEVELS[LEVELS.length - 1][0];
}
