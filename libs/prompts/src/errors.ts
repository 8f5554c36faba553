import { defineErrors } from '@adloom/common';

/**
 * Everything that can go wrong between a template's source and its rendered text.
 * A template that is too large is refused with 413, like any oversized body; every other
 * problem is the author's to fix in the template or its declarations, hence 422.
 */
export const PromptError = defineErrors('PromptError', {
  template_syntax: 422,
  template_too_large: 413,
  template_too_complex: 422,
  unknown_variable: 422,
  unsafe_expression: 422,
  unknown_helper: 422,
  invalid_helper_call: 422,
  missing_translation: 422,
  invalid_declaration: 422,
  variable_type: 422,
  render_failed: 422,
  render_too_large: 422,
  policy_violation: 422,
});
export type PromptError = InstanceType<typeof PromptError>;
export type PromptErrorCode = PromptError['code'];
