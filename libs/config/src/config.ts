import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** Durations are whole seconds (`900`) or a number with a unit (`15m`, `30s`, `2h`, `7d`, `500ms`). */
function parseDuration(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) return undefined;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    (m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'
  ];
  return Math.round(Number(m[1]) * factor);
}
const durationMs = z.string().transform((raw, ctx) => {
  const ms = parseDuration(raw);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 15m or 900, got "${raw}"` });
    return z.NEVER;
  }
  return ms;
});
/** A comma-separated list of durations (`30s,2m,10m`). */
const durationListMs = z.string().transform((raw, ctx) => {
  const list = raw.split(',').map(parseDuration);
  if (list.some((ms) => ms === undefined)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected durations separated by commas like 30s,2m,1h, got "${raw}"`,
    });
    return z.NEVER;
  }
  return list as number[];
});
const url = z.url();
/** A price per second of video: one number, or one per resolution (`{"480p": 0.04, "720p": 0.08}`). */
const price = z.union([
  z.number().min(0),
  z.record(z.string().regex(/^\d+p$/, 'a resolution like 720p'), z.number().min(0)),
]);
/**
 * Prices per second of output video, keyed by `provider:model` or by `provider` (every model of it), as
 * JSON: `{"fal:wan-2.2": {"480p": 0.04, "720p": 0.08}, "gemini-veo": 0.15}`.
 */
const priceTable = z.string().transform((raw, ctx) => {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'expected a JSON object of "provider:model" → price per second',
    });
    return z.NEVER;
  }
  const parsed = z
    .record(z.string().regex(/^[a-z][a-z0-9-]*(:[^\s]+)?$/, 'a key like fal:wan-2.2'), price)
    .safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    ctx.addIssue({ code: 'custom', message: `${issue.path.join('.') || 'value'}: ${issue.message}` });
    return z.NEVER;
  }
  return parsed.data;
});
export type PriceTable = z.output<typeof priceTable>;
/** Keys as PEM blocks, or base64, separated by commas or white space. */
const keyList = z
  .string()
  .transform((raw) => raw.match(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----|[^\s,]+/g) ?? []);

/**
 * Every environment variable Adloom reads, with its default. This table is the whole surface:
 * `infra/` may set only these names (a test holds them to it).
 */
export const settingsSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** When set, a worker serves /health/live, /health/ready and /metrics on this port (probes, scraping). */
  WORKER_HEALTH_PORT: int(1, 65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_BASE_URL: url.optional(),
  /** Where the edge (`adloom edge`: ad, VAST, tags, pixels) listens. */
  EDGE_PORT: int(0, 65535).default(3001),
  /** The base URL ad platforms and players use for the edge: tag URLs and tracking pixels point here. */
  PUBLIC_EDGE_URL: url.optional(),
  /** Requests a minute the edge answers per API key or tag (ad, VAST). */
  EDGE_RATE_LIMIT: int(1, 100_000_000).default(600_000),
  /** Requests a minute the edge answers per client IP on the pixel route (and the ops routes). */
  EDGE_PIXEL_RATE_LIMIT: int(1, 100_000_000).default(60_000),
  /** The share of edge requests written to the access log (errors always are). */
  EDGE_ACCESS_LOG_SAMPLE: z.coerce.number().min(0).max(1).default(0.01),

  ADLOOM_SERVICES: z.enum(['auto', 'embedded', 'external']).default('auto'),
  ADLOOM_HOME: z.string().min(1).default('.adloom'),
  DATABASE_URL: url.optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  REDIS_URL: url.optional(),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]+$/)
    .default('adloom'),
  S3_ENDPOINT: url.optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
      'a bucket name of 3-63 lowercase letters, digits, dots or dashes',
    )
    .default('adloom'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_FORCE_PATH_STYLE: bool.optional(),
  PUBLIC_RENDER_BASE_URL: url.optional(),
  PRESIGN_TTL: durationMs.default(3_600_000),
  /** How often each edge process checks Postgres for changes to the campaigns and tags it holds. */
  DELIVERY_CACHE_REFRESH: durationMs.default(1_000),

  ADLOOM_BOOTSTRAP_ADMIN_KEY: z
    .string()
    .regex(/^adl_[A-Za-z0-9]{20,64}$/, 'a key of the form adl_ followed by 20-64 letters or digits')
    .optional(),
  TRACKING_SECRET: z
    .string()
    .min(32, 'at least 32 characters (a comma-separated list rotates keys)')
    .optional(),
  /** How long a tracking pixel URL is honoured after the ad that carried it was served. */
  TRACKING_TOKEN_TTL: durationMs.default(86_400_000),
  PROVENANCE_SIGNING_KEY: z.string().min(1).optional(),
  /**
   * How long event ids are remembered for dedupe (in daily partitions of event_seen); an event whose
   * timestamp is older is refused as late.
   */
  ENGAGEMENT_DEDUPE_WINDOW: durationMs.default(7 * 86_400_000),
  /** How long an engagement stream entry may sit unacknowledged with a consumer before another claims it. */
  ENGAGEMENT_CLAIM_IDLE: durationMs.default(30_000),
  /** Engagement stream entries each consumer reads at once (each holds one pixel or up to 100 posted events). */
  ENGAGEMENT_READ_COUNT: int(1, 10_000).default(200),
  /** Concurrent consumers of the engagement stream in one worker process. */
  ENGAGEMENT_CONSUMERS: int(1, 32).default(2),
  /** Public keys of earlier signing keys, so manifests signed before a key rotation still verify. */
  PROVENANCE_PUBLIC_KEYS: keyList.default([]),

  GENERATE_CONCURRENCY: int(1, 64).default(1),
  COMPOSE_CONCURRENCY: int(1, 64).default(1),
  GENERATE_RATE_PER_MINUTE: int(1, 100_000).default(60),
  GENERATE_TIMEOUT: durationMs.default(1_800_000),
  OPTIMIZE_INTERVAL: durationMs.default(60_000),
  /** Start an evolution wave from each newly declared winner (a campaign's own setting wins). */
  OPTIMIZE_AUTO_EVOLVE: bool.default(true),
  RECONCILE_INTERVAL: durationMs.default(60_000),
  SHUTDOWN_GRACE: durationMs.default(30_000),
  /** How long a worker holds a job (and a clip claim) without renewing it before another may take it over. */
  JOB_LOCK: durationMs.default(30_000),

  OPENAI_BASE_URL: url.default('https://api.openai.com/v1'),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_VIDEO_MODEL: z.string().min(1).default('sora-2'),
  OPENAI_PRICE_PER_SECOND: z.coerce.number().min(0).default(0.1),
  OPENAI_POLL_INTERVAL: durationMs.default(10_000),
  COMFYUI_URL: url.optional(),
  COMFYUI_WORKFLOW: z.string().min(1).default('templates/comfyui/text-to-video.json'),
  COMFYUI_PRICE_PER_GPU_SECOND: z.coerce.number().min(0).default(0),
  COMFYUI_POLL_INTERVAL: durationMs.default(1_000),
  /** fal.ai's queue (`https://queue.fal.run`); requests go to `{FAL_BASE_URL}/{owner}/{app}`. */
  FAL_BASE_URL: url.default('https://queue.fal.run'),
  FAL_KEY: z.string().optional(),
  /** The fal models Adloom can call: model name → endpoint and input template (JSON file). */
  FAL_MODELS: z.string().min(1).default('templates/fal/models.json'),
  /** The model of a campaign that names `fal` without one. */
  FAL_MODEL: z.string().min(1).default('wan-2.2'),
  FAL_POLL_INTERVAL: durationMs.default(5_000),
  /** Up to and including the version: `https://generativelanguage.googleapis.com/v1beta`. */
  GEMINI_BASE_URL: url.default('https://generativelanguage.googleapis.com/v1beta'),
  GEMINI_API_KEY: z.string().optional(),
  GEMINI_VEO_MODEL: z.string().min(1).default('veo-3.1-fast-generate-preview'),
  GEMINI_POLL_INTERVAL: durationMs.default(10_000),
  /** Price per second of video per provider and model (and resolution where it differs); see README. */
  GENERATION_PRICES: priceTable.default({
    'fal:wan-2.2': { '480p': 0.04, '580p': 0.06, '720p': 0.08 },
    'fal:kling-2.1': 0.05,
    'fal:ltx-video': 0.02,
    'gemini-veo:veo-3.1-fast-generate-preview': 0.15,
    'gemini-veo:veo-3.1-generate-preview': 0.4,
  }),
  /** Tries of one provider for one clip (transient failures, 429s) before a routed variant moves to the next. */
  GENERATE_PROVIDER_ATTEMPTS: int(1, 20).default(5),
  /** Wait before the second try of a provider; doubled for each try after (a 429 waits as long as it asks). */
  GENERATE_RETRY_DELAY: durationMs.default(5_000),
  WEBHOOKS_ALLOW_PRIVATE: bool.default(false),
  /** Waits before each webhook retry; a delivery fails after the last one (default: about a day). */
  WEBHOOK_RETRY_DELAYS: durationListMs.default([
    30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 28_800_000,
  ]),
  WEBHOOK_TIMEOUT: durationMs.default(10_000),
  FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
  FFPROBE_PATH: z.string().min(1).default('ffprobe'),
});

export type Settings = z.output<typeof settingsSchema>;
export type AdloomConfig = Readonly<Settings>;
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as (keyof Settings)[];

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super('Invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Reads the settings once; empty strings count as unset. Throws a ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AdloomConfig {
  const raw: Record<string, string> = {};
  for (const name of SETTING_NAMES) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message })),
    );
  }
  return Object.freeze(parsed.data);
}

/** The base URL other systems use to reach this API (the console, webhooks' links). */
export function publicBaseUrl(config: AdloomConfig): string {
  return (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
}

/** The base URL ad platforms and players use for the edge (tag URLs, tracking pixels, VAST). */
export function publicEdgeUrl(config: AdloomConfig): string {
  return (config.PUBLIC_EDGE_URL ?? `http://localhost:${config.EDGE_PORT}`).replace(/\/$/, '');
}
