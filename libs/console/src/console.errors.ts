import { defineErrors } from '@adloom/common';

export const ConsoleError = defineErrors('ConsoleError', {
  console_not_built: 404,
  file_not_found: 404,
  render_not_found: 404,
  captions_not_found: 404,
});
export type ConsoleError = InstanceType<typeof ConsoleError>;
