import {
  audioEncoderArgs,
  AUDIO_SAMPLE_RATE,
  EncoderSettings,
  FORMATS,
  FormatId,
  videoEncoderArgs,
} from '@adloom/media';

/**
 * The baseline: the same clip to the same outputs in one ffmpeg process with plain scaling, no overlays,
 * silent audio, and the same encoder settings as compose.
 */
export function bareEncodeArgs(
  clipPath: string,
  formats: readonly FormatId[],
  durationMs: number,
  encoder: EncoderSettings,
  outDir: string,
): string[] {
  const duration = String(durationMs / 1000);
  const branches = formats.map((format) => `[s_${format}]`).join('');
  const graph = [
    `[0:v]split=${formats.length}${branches}`,
    ...formats.map(
      (format) =>
        `[s_${format}]scale=${FORMATS[format].width}:${FORMATS[format].height},setsar=1[v_${format}]`,
    ),
  ].join(';');
  const args = ['-t', duration, '-i', clipPath];
  args.push('-f', 'lavfi', '-t', duration, '-i', `anullsrc=r=${AUDIO_SAMPLE_RATE}:cl=stereo`);
  if (encoder.filterThreads !== null) args.push('-filter_complex_threads', String(encoder.filterThreads));
  args.push('-filter_complex', graph);
  for (const format of formats) {
    args.push(
      '-map',
      `[v_${format}]`,
      '-map',
      '1:a:0',
      ...videoEncoderArgs(encoder),
      ...audioEncoderArgs(encoder),
      '-t',
      duration,
      '-movflags',
      '+faststart',
      `${outDir}/bare-${format}.mp4`,
    );
  }
  return args;
}
