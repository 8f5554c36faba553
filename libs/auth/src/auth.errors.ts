import { defineErrors } from '@adloom/common';

export const AuthError = defineErrors('AuthError', {
  missing_key: 401,
  invalid_key: 401,
  role_forbidden: 403,
  key_not_found: 404,
});
export type AuthError = InstanceType<typeof AuthError>;
