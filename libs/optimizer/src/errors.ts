import { defineErrors } from '@adloom/common';

/** Bad counts (negative, more successes than trials) or parameters outside their domain. */
export const OptimizerError = defineErrors('OptimizerError', {
  invalid_counts: 422,
  invalid_parameters: 422,
  campaign_not_found: 404,
  campaign_not_live: 409,
  nothing_to_evolve: 422,
});
export type OptimizerError = InstanceType<typeof OptimizerError>;
