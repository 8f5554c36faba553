import { defineErrors } from '@adloom/common';

export const ReportsError = defineErrors('ReportsError', {
  campaign_not_found: 404,
  invalid_range: 400,
});
export type ReportsError = InstanceType<typeof ReportsError>;
