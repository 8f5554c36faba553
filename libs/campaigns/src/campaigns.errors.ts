import { defineErrors } from '@adloom/common';

/** What the campaign admin API refuses, beyond plain validation (CommonError) and template problems (PromptError). */
export const CampaignError = defineErrors('CampaignError', {
  brand_kit_not_found: 404,
  template_not_found: 404,
  template_version_not_found: 404,
  segment_not_found: 404,
  campaign_not_found: 404,
  variant_not_found: 404,
  name_taken: 409,
  key_taken: 409,
  illegal_transition: 409,
  nothing_approved: 409,
  campaign_locked: 409,
  invalid_csv: 400,
  invalid_media: 415,
  undecodable_media: 422,
  media_too_large: 413,
  locale_not_in_segment: 422,
  attributes_too_large: 413,
});
export type CampaignError = InstanceType<typeof CampaignError>;
export type CampaignErrorCode = CampaignError['code'];
