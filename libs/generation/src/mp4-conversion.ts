/**
 * ffmpeg arguments that turn a workflow's animated GIF/WebP or WebM into the H.264 MP4 the rest of the
 * pipeline takes: yuv420p, even dimensions, no audio, +faststart.
 */
export function toMp4Args(input: string, output: string): string[] {
  return [
    '-i',
    input,
    '-map',
    '0:v:0',
    '-vf',
    'scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '18',
    '-an',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    output,
  ];
}
