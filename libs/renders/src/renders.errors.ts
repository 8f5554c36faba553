import { defineErrors } from '@adloom/common';

/** What the renders room refuses: unknown renders, and uploads it cannot take. */
export const RendersError = defineErrors('RendersError', {
  render_not_found: 404,
  empty_upload: 400,
  upload_too_large: 413,
  unsupported_media_type: 415,
});
export type RendersError = InstanceType<typeof RendersError>;
