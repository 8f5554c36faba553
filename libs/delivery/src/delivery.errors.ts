import { defineErrors } from '@adloom/common';

export const DeliveryError = defineErrors('DeliveryError', {
  campaign_not_found: 404,
  campaign_paused: 404,
  campaign_not_live: 404,
  no_ad: 404,
  tracking_not_configured: 503,
  tag_not_found: 404,
  tag_revoked: 404,
});
export type DeliveryError = InstanceType<typeof DeliveryError>;
