import { defineErrors } from '@adloom/common';

/** Failures that end a variant without another try: nothing a retry could change. */
export const PipelineError = defineErrors('PipelineError', {
  render_rejected: 422,
  clip_missing: 422,
  clip_unreadable: 422,
});
export type PipelineError = InstanceType<typeof PipelineError>;
