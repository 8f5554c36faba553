import { defineErrors } from '@adloom/common';

/**
 * `invalid_input`: a base clip, logo, font or music file that ffmpeg cannot use (empty, corrupt, missing).
 * `ffmpeg_failed`: ffmpeg or ffprobe exited non-zero on input that looked fine.
 * `ffmpeg_missing`: the binary could not be started.
 * `timeout` / `cancelled`: the process was killed by its deadline or by the caller's AbortSignal.
 */
export const MediaError = defineErrors('MediaError', {
  invalid_input: 422,
  ffmpeg_failed: 500,
  ffmpeg_missing: 500,
  timeout: 504,
  cancelled: 499,
});
export type MediaError = InstanceType<typeof MediaError>;
export type MediaErrorCode = MediaError['code'];
