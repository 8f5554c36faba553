import { defineErrors } from '@adloom/common';

export const WebhookError = defineErrors('WebhookError', {
  endpoint_not_found: 404,
  url_refused: 422,
});
export type WebhookError = InstanceType<typeof WebhookError>;
