import { defineErrors } from '@adloom/common';

export const PlannerError = defineErrors('PlannerError', {
  campaign_not_found: 404,
  campaign_not_plannable: 409,
  over_budget: 422,
  nothing_to_plan: 422,
  policy_violation: 422,
});
export type PlannerError = InstanceType<typeof PlannerError>;
