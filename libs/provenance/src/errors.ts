import { defineErrors } from '@adloom/common';

/**
 * Signing keys are operator configuration, so a bad one is the server's fault (500); a malformed
 * hash in a verification request is the caller's (400).
 */
export const ProvenanceError = defineErrors('ProvenanceError', {
  invalid_manifest: 422,
  invalid_key: 500,
  invalid_sha256: 400,
  manifest_not_found: 404,
});
export type ProvenanceError = InstanceType<typeof ProvenanceError>;
