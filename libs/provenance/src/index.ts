export { ProvenanceError } from './errors';
export { canonicalJson } from './canonical-json';
export {
  CLAIM_GENERATOR_NAME,
  DEFAULT_GENERATOR_VERSION,
  DIGITAL_SOURCE_TYPE,
  buildManifest,
  manifestRenderId,
  type ActionsAssertion,
  type GenerationAssertion,
  type HashReference,
  type ManifestAction,
  type ManifestAssertion,
  type ManifestIngredient,
  type ManifestInput,
  type RenderAssertion,
  type RenderManifest,
} from './manifest';
export {
  generateSigningKey,
  keyIdOf,
  parsePrivateKey,
  parsePublicKey,
  signManifest,
  signingPayload,
  verifySignedManifest,
  type GeneratedSigningKey,
  type KeyInput,
  type ManifestSignature,
  type SignatureCheck,
  type SignedManifest,
} from './signing';
export {
  decideVerification,
  formatProvenanceReference,
  normalizeSha256,
  parseProvenanceReference,
  verifyRender,
  type ManifestLookup,
  type RenderVerdict,
  type VerificationInput,
  type VerificationReason,
  type VerificationResult,
} from './verify';
