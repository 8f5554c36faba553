import { ProvenanceError } from './errors';

/**
 * Render manifests follow the shape of C2PA manifests (a claim generator, assertions with
 * `c2pa.actions` and IPTC digital source types, ingredients, a hash of the asset) so that their
 * meaning is familiar, but they are not C2PA: they are JSON documents signed with Ed25519 over
 * canonical JSON and stored beside the render, not JUMBF boxes with COSE signatures and X.509
 * certificate chains embedded in the MP4. The MP4 carries only a reference to its manifest
 * (see formatProvenanceReference).
 */

export const DIGITAL_SOURCE_TYPE = {
  trainedAlgorithmicMedia: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia',
  compositeWithTrainedAlgorithmicMedia:
    'http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia',
} as const;

export const CLAIM_GENERATOR_NAME = 'adloom';
/** Version written into manifests when the caller does not pass the running build's version. */
export const DEFAULT_GENERATOR_VERSION = '0.1.0';

const MP4 = 'video/mp4';
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface HashReference {
  alg: 'sha256';
  /** Lower-case hex. */
  value: string;
}

export interface ManifestAction {
  action: 'c2pa.created' | 'c2pa.edited';
  digitalSourceType: string;
  softwareAgent: string;
  when: string;
  description: string;
}

export interface ActionsAssertion {
  label: 'c2pa.actions';
  data: { actions: ManifestAction[] };
}

export interface GenerationAssertion {
  label: 'adloom.generation';
  data: {
    generator: string;
    model: string;
    promptHash: string;
    templateVersionId: string;
    segmentKey: string;
  };
}

export interface RenderAssertion {
  label: 'adloom.render';
  data: {
    workspaceId: string;
    campaignId: string;
    variantId: string;
    renderId: string;
    /** The ad format of the render (`9x16`, `16x9`, …). */
    format: string;
  };
}

export type ManifestAssertion = ActionsAssertion | GenerationAssertion | RenderAssertion;

export interface ManifestIngredient {
  title: string;
  format: string;
  relationship: 'parentOf';
  hash: HashReference;
}

export interface RenderManifest {
  claim_generator: string;
  claim_generator_info: { name: string; version: string }[];
  format: string;
  instance_id: string;
  created_at: string;
  /** The finished render's bytes. */
  hash: HashReference;
  /** The generated clip the render was composed from. */
  ingredients: ManifestIngredient[];
  assertions: ManifestAssertion[];
}

export interface ManifestInput {
  renderSha256: string;
  clipSha256: string;
  generator: string;
  model: string;
  promptHash: string;
  templateVersionId: string;
  segmentKey: string;
  format: string;
  workspaceId: string;
  campaignId: string;
  variantId: string;
  renderId: string;
  createdAt: Date | string;
  /** Version of the software writing the manifest; DEFAULT_GENERATOR_VERSION when omitted. */
  generatorVersion?: string;
}

function sha256Field(name: string, value: string): string {
  const hex = typeof value === 'string' ? value.toLowerCase() : '';
  if (!SHA256_HEX.test(hex)) {
    throw new ProvenanceError('invalid_manifest', `${name} must be a sha256 in hex (64 characters)`, {
      field: name,
    });
  }
  return hex;
}

function textField(name: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ProvenanceError('invalid_manifest', `${name} is required`, { field: name });
  }
  return value;
}

function timestamp(value: Date | string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new ProvenanceError('invalid_manifest', 'createdAt must be a date', { field: 'createdAt' });
  }
  return date.toISOString();
}

/** Describes one finished render: what made its clip, what composed it, and the hashes of both. */
export function buildManifest(input: ManifestInput): RenderManifest {
  const version = input.generatorVersion ?? DEFAULT_GENERATOR_VERSION;
  const renderSha256 = sha256Field('renderSha256', input.renderSha256);
  const clipSha256 = sha256Field('clipSha256', input.clipSha256);
  const generator = textField('generator', input.generator);
  const model = textField('model', input.model);
  const renderId = textField('renderId', input.renderId);
  const when = timestamp(input.createdAt);
  const claimGenerator = `${CLAIM_GENERATOR_NAME}/${version}`;

  return {
    claim_generator: claimGenerator,
    claim_generator_info: [{ name: CLAIM_GENERATOR_NAME, version }],
    format: MP4,
    instance_id: `urn:adloom:render:${renderId}`,
    created_at: when,
    hash: { alg: 'sha256', value: renderSha256 },
    ingredients: [
      {
        title: 'generated clip',
        format: MP4,
        relationship: 'parentOf',
        hash: { alg: 'sha256', value: clipSha256 },
      },
    ],
    assertions: [
      {
        label: 'c2pa.actions',
        data: {
          actions: [
            {
              action: 'c2pa.created',
              digitalSourceType: DIGITAL_SOURCE_TYPE.trainedAlgorithmicMedia,
              softwareAgent: `${generator}/${model}`,
              when,
              description: 'Base clip generated from a text prompt',
            },
            {
              action: 'c2pa.edited',
              digitalSourceType: DIGITAL_SOURCE_TYPE.compositeWithTrainedAlgorithmicMedia,
              softwareAgent: claimGenerator,
              when,
              description: 'Clip composed with copy, captions, logo and end card into the finished ad',
            },
          ],
        },
      },
      {
        label: 'adloom.generation',
        data: {
          generator,
          model,
          promptHash: textField('promptHash', input.promptHash),
          templateVersionId: textField('templateVersionId', input.templateVersionId),
          segmentKey: textField('segmentKey', input.segmentKey),
        },
      },
      {
        label: 'adloom.render',
        data: {
          workspaceId: textField('workspaceId', input.workspaceId),
          campaignId: textField('campaignId', input.campaignId),
          variantId: textField('variantId', input.variantId),
          renderId,
          format: textField('format', input.format),
        },
      },
    ],
  };
}

/** The render id a manifest describes, read from its `adloom.render` assertion. */
export function manifestRenderId(manifest: RenderManifest): string | undefined {
  const assertion = manifest.assertions?.find((candidate) => candidate.label === 'adloom.render');
  return assertion?.label === 'adloom.render' ? assertion.data.renderId : undefined;
}
