import { z } from 'zod';
import {
  adQuerySchema,
  adViewSchema,
  campaignParamsSchema,
  jsonSchemaOf,
  tagParamsSchema,
  tagQuerySchema,
} from './delivery.schemas';

/**
 * The edge's routes as data: path, who may call, how they are limited, and their JSON Schemas. The
 * edge (apps/edge) registers each with Fastify and a handler; the API's OpenAPI document lists them
 * from the same declarations, so the two cannot drift.
 */

/** Who may call: a platform (or admin) API key, a VAST tag's signed token in the path, or anyone. */
export type EdgeAccess = 'platform' | 'tag' | 'public';

export interface EdgeRoute {
  name: 'ad' | 'vast' | 'tagAd' | 'tagVast' | 'pixel' | 'live' | 'ready' | 'metrics';
  url: string;
  access: EdgeAccess;
  /** Rate limited per presented key or tag, or per client IP (pixels, ops). */
  limitBy: 'credential' | 'ip';
  /** Answers cross-origin players (CORS echoing Origin, with credentials; preflight answered). */
  cors: boolean;
  produces: string;
  schema: {
    params?: Record<string, unknown>;
    querystring?: Record<string, unknown>;
    /** The 200 answer's JSON Schema, for fast-json-stringify; JSON answers only. */
    response?: Record<string, unknown>;
  };
  summary: string;
  description: string;
  tag: string;
  /** Shown in OpenAPI only (the route takes no schema for it). */
  openApiParameters?: Record<string, unknown>[];
}

const XML = 'application/xml';
const JSON_TYPE = 'application/json';
const adResponse = jsonSchemaOf(adViewSchema);
const CHOICE =
  'Chooses an approved variant by the current weights (the same `viewer` gets the same variant while the ' +
  'weights stand). 404 problem+json when the campaign is not live (the problem says paused when it is).';
const VAST_BODY =
  'A VAST 4.2 InLine document: every ready format of the chosen variant as a MediaFile, impression, ' +
  'quartile and click tracking, an `<Error>` URL whose `[ERRORCODE]` pings are counted per variant, and the ' +
  'campaign’s `<AdVerifications>`. An empty VAST when the segment has nothing to serve in the format. ' +
  '`Cache-Control: no-store`; CORS for any origin, with credentials, as player SDKs require.';

export const EDGE_ROUTES: readonly EdgeRoute[] = [
  {
    name: 'ad',
    url: '/v1/delivery/:campaignId/ad',
    access: 'platform',
    limitBy: 'credential',
    cors: false,
    produces: JSON_TYPE,
    schema: {
      params: jsonSchemaOf(campaignParamsSchema),
      querystring: jsonSchemaOf(adQuerySchema),
      response: adResponse,
    },
    summary: 'The ad to play for a segment and format',
    description: `${CHOICE} Answers the render URL and expiry, size, duration, captions, and one signed tracking URL per event.`,
    tag: 'delivery',
  },
  {
    name: 'vast',
    url: '/v1/delivery/:campaignId/vast',
    access: 'platform',
    limitBy: 'credential',
    cors: true,
    produces: XML,
    schema: { params: jsonSchemaOf(campaignParamsSchema), querystring: jsonSchemaOf(adQuerySchema) },
    summary: 'The same choice as a VAST 4.2 InLine document',
    description: VAST_BODY,
    tag: 'delivery',
  },
  {
    name: 'tagVast',
    url: '/v1/tags/:tag/vast',
    access: 'tag',
    limitBy: 'credential',
    cors: true,
    produces: XML,
    schema: { params: jsonSchemaOf(tagParamsSchema), querystring: jsonSchemaOf(tagQuerySchema) },
    summary: 'A VAST tag: the ad for the tag’s campaign, segment and format, no header needed',
    description: `${VAST_BODY} 404 problem+json once the tag is revoked (within one edge refresh).`,
    tag: 'tags',
  },
  {
    name: 'tagAd',
    url: '/v1/tags/:tag/ad',
    access: 'tag',
    limitBy: 'credential',
    cors: true,
    produces: JSON_TYPE,
    schema: {
      params: jsonSchemaOf(tagParamsSchema),
      querystring: jsonSchemaOf(tagQuerySchema),
      response: adResponse,
    },
    summary: 'The tag’s ad as JSON, no header needed',
    description: `${CHOICE} The same answer as \`GET /v1/delivery/:campaignId/ad\`.`,
    tag: 'tags',
  },
  {
    name: 'pixel',
    url: '/t/:token',
    access: 'public',
    limitBy: 'ip',
    cors: false,
    produces: 'image/gif',
    schema: {
      params: jsonSchemaOf(
        z.object({
          token: z.string().min(1).max(1024).describe('The signed token from a tracking URL'),
        }),
      ),
      querystring: jsonSchemaOf(
        z.object({
          redirect: z.string().max(8).optional().describe('On a click token: answer 302 to the landing page'),
          error: z
            .string()
            .max(16)
            .optional()
            .describe(
              'A VAST error code (the `<Error>` URL’s [ERRORCODE]): counted as an error, not an impression',
            ),
        }),
      ),
    },
    summary: 'Tracking pixel',
    description:
      'Counts the event the signed token stands for (once per ad serving and event) and answers a 1×1 GIF ' +
      'once the event is durably recorded (503 problem+json when it cannot be). Forged, altered or expired ' +
      'tokens get the same GIF and count nothing. A click token with `?redirect=1` answers 302 to the ' +
      'campaign landing page. With `?error=<code>` the ping counts a VAST error for the variant.',
    tag: 'tracking',
  },
  {
    name: 'live',
    url: '/health/live',
    access: 'public',
    limitBy: 'ip',
    cors: false,
    produces: JSON_TYPE,
    schema: {},
    summary: 'The edge process is up',
    description: 'Liveness probe.',
    tag: 'ops',
  },
  {
    name: 'ready',
    url: '/health/ready',
    access: 'public',
    limitBy: 'ip',
    cors: false,
    produces: JSON_TYPE,
    schema: {},
    summary: 'The edge can serve: Postgres and Redis answer',
    description: 'Readiness probe: 503 naming the parts that do not answer.',
    tag: 'ops',
  },
  {
    name: 'metrics',
    url: '/metrics',
    access: 'public',
    limitBy: 'ip',
    cors: false,
    produces: 'text/plain',
    schema: {},
    summary: 'Prometheus metrics of this edge process',
    description: 'Request durations by route, pixels by result, VAST errors by variant and code.',
    tag: 'ops',
  },
];

/**
 * The edge's routes as OpenAPI path items, under the edge's own server URL. Ops routes are left out
 * (the API documents its own under the same paths).
 */
export function edgeOpenApiPaths(edgeUrl: string): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of EDGE_ROUTES) {
    if (route.tag === 'ops') continue;
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    const parameters = [
      ...parametersOf(route.schema.params, 'path'),
      ...parametersOf(route.schema.querystring, 'query'),
    ];
    const ok =
      route.schema.response !== undefined
        ? { description: 'OK', content: { [route.produces]: { schema: route.schema.response } } }
        : { description: 'OK', content: { [route.produces]: { schema: { type: 'string' } } } };
    paths[path] = {
      get: {
        tags: [route.tag],
        summary: route.summary,
        description: route.description,
        operationId: `edge_${route.name}`,
        servers: [{ url: edgeUrl, description: 'The edge (`PUBLIC_EDGE_URL`)' }],
        parameters,
        ...(route.access === 'platform' ? { security: [{ bearer: [] }] } : { security: [] }),
        responses: {
          200: ok,
          ...(route.name === 'pixel' ? { 302: { description: 'A click with `redirect`' } } : {}),
          default: {
            description: 'A problem',
            content: { 'application/problem+json': { schema: { type: 'object' } } },
          },
        },
      },
    };
  }
  return paths;
}

function parametersOf(schema: Record<string, unknown> | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}
