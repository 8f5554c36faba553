import { z } from 'zod';
import { SEGMENT_KEY_PATTERN, TRACKING_EVENTS } from '@adloom/engagement';

/**
 * The delivery routes' inputs and outputs, written once in zod: the API validates with them (via
 * `createZodDto`), the edge hands their JSON Schema to Fastify (Ajv validates the input,
 * fast-json-stringify writes the output), and OpenAPI documents both from the same schema.
 */

const segment = z
  .string()
  .regex(SEGMENT_KEY_PATTERN, 'must be a segment key (letters, digits, _ . -; at most 64)')
  .describe('The audience segment key');
const format = z
  .string()
  .regex(/^\d{1,2}x\d{1,2}$/, 'must be a format such as 9x16')
  .describe('An aspect ratio such as 9x16; the campaign’s first format the segment has when absent');
const viewer = z
  .string()
  .min(1)
  .max(256)
  .describe('Any stable id of the viewer: the same viewer gets the same variant while the weights stand');
/** Player macros (`[CACHEBUSTING]`, `[TIMESTAMP]`) a tag URL carries; taken and ignored. */
const macro = z.string().max(64);

export const campaignParamsSchema = z.object({ campaignId: z.guid('must be a UUID') });
export const adQuerySchema = z.object({
  segment,
  format: format.optional(),
  viewer: viewer.optional(),
  cb: macro.optional().describe('Cache buster, e.g. [CACHEBUSTING]; ignored'),
  ts: macro.optional().describe('Timestamp, e.g. [TIMESTAMP]; ignored'),
});
export const catalogQuerySchema = z.object({ segment: segment.optional() });

/** A tag's signed token, as in its URLs. */
export const tagParamsSchema = z.object({
  tag: z
    .string()
    .regex(/^[A-Za-z0-9_-]{20,200}$/, 'must be a tag token')
    .describe('The tag’s signed token, from the URLs `POST /v1/campaigns/:id/tags` answered'),
});
export const tagQuerySchema = z.object({
  viewer: viewer.optional(),
  cb: macro.optional().describe('Cache buster, e.g. [CACHEBUSTING]; ignored'),
  ts: macro.optional().describe('Timestamp, e.g. [TIMESTAMP]; ignored'),
});

export const createTagSchema = z
  .object({
    segment,
    format: format.optional(),
    name: z.string().max(200).optional().describe('Where the tag is used, for people'),
  })
  .strict();
export const tagIdParamsSchema = z.object({
  id: z.guid('must be a UUID'),
  tagId: z.guid('must be a UUID'),
});

const trackingShape = Object.fromEntries(TRACKING_EVENTS.map((event) => [event, z.string()])) as Record<
  (typeof TRACKING_EVENTS)[number],
  z.ZodString
>;

export const adViewSchema = z.object({
  campaignId: z.string(),
  variantId: z.string(),
  renderId: z.string(),
  segment: z.string(),
  format: z.string(),
  adServingId: z
    .string()
    .describe('Unique per response; the VAST AdServingId, carried by every tracking URL'),
  url: z.string(),
  expiresAt: z
    .string()
    .nullable()
    .describe('ISO 8601; null when renders are served from a CDN and the URL does not expire'),
  mimeType: z.literal('video/mp4'),
  codecs: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number(),
  durationMs: z.number(),
  bitrateKbps: z.number(),
  sha256: z.string(),
  posterUrl: z.string(),
  captionsUrl: z.string().nullable(),
  clickThrough: z.string().describe('The campaign’s landing page'),
  clickUrl: z.string().describe('A single click URL: counts the click, then redirects to `clickThrough`'),
  tracking: z.object(trackingShape).describe('Pixel URLs to request when each event happens (1×1 GIF)'),
});
export type AdView = z.infer<typeof adViewSchema>;

export const tagViewSchema = z.object({
  id: z.string(),
  campaignId: z.string(),
  segment: z.string(),
  format: z.string().nullable(),
  name: z.string().nullable(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  vastUrl: z.string().describe('The VAST tag for players and DSPs: a plain GET URL, no header needed'),
  adUrl: z.string().describe('The same choice as JSON (`GET /v1/delivery/:campaignId/ad`)'),
});
export type TagView = z.infer<typeof tagViewSchema>;

/** A zod schema as the JSON Schema Fastify and OpenAPI take (OpenAPI 3.0 dialect: `nullable`). */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
  }) as Record<string, unknown>;
  return json;
}
