import { defineErrors } from '@adloom/common';

export const EngagementError = defineErrors('EngagementError', {
  invalid_csv: 400,
  tracking_not_configured: 503,
  engagement_log_unavailable: 503,
});
export type EngagementError = InstanceType<typeof EngagementError>;
