import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Loads the example in `templates/example/` into a workspace through the public HTTP API only: a brand
 * kit with its logo, every template in `templates/`, every segment in `segments.json` and (unless
 * turned off) a draft campaign over all of them. Requests carry fixed Idempotency-Keys, so loading the
 * same example twice into one workspace returns the first run's objects instead of failing.
 */
export interface LoadExampleOptions {
  /** Where the API listens, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** A marketer (or admin) key of the workspace to load into. */
  key: string;
  /** The example's folder; `templates/example` of this repository when absent. */
  dir?: string;
  /** Also create the draft campaign in `campaign.json`. Default true. */
  campaign?: boolean;
  /** Prefix of the Idempotency-Keys sent; change it to load a second copy. Default `example`. */
  idempotencyPrefix?: string;
  fetch?: typeof fetch;
}

export interface ExampleIds {
  brandKitId: string;
  /** Template file name without `.json` → template id. */
  templates: Record<string, string>;
  /** Segment key → segment id. */
  segments: Record<string, string>;
  campaignId: string | null;
}

/** `templates/example` found by walking up from this file (it runs from the sources and from dist/). */
export function exampleDir(from = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'templates', 'example');
    if (existsSync(join(candidate, 'brand-kit.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`templates/example not found above ${from}`);
  }
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

export async function loadExample(options: LoadExampleOptions): Promise<ExampleIds> {
  const dir = options.dir ?? exampleDir();
  const http = options.fetch ?? fetch;
  const prefix = options.idempotencyPrefix ?? 'example';
  const base = options.baseUrl.replace(/\/+$/, '');

  const call = async <T>(
    method: string,
    path: string,
    body: unknown,
    idempotencyKey?: string,
  ): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${options.key}` };
    let payload: string | Uint8Array | undefined;
    if (Buffer.isBuffer(body)) {
      headers['content-type'] = 'image/png';
      payload = new Uint8Array(body);
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    if (idempotencyKey) headers['idempotency-key'] = `${prefix}:${idempotencyKey}`;
    const response = await http(`${base}${path}`, { method, headers, body: payload });
    const text = await response.text();
    if (!response.ok) {
      let detail = text;
      try {
        const problem = JSON.parse(text) as { detail?: string; field?: string };
        detail = `${problem.detail ?? text}${problem.field ? ` (field ${problem.field})` : ''}`;
      } catch {
        /* not problem+json */
      }
      throw new Error(`${method} ${path} answered ${response.status}: ${detail}`);
    }
    return JSON.parse(text) as T;
  };

  const kit = await call<{ id: string }>(
    'POST',
    '/v1/brand-kits',
    readJson(join(dir, 'brand-kit.json')),
    'brand-kit',
  );
  if (existsSync(join(dir, 'logo.png'))) {
    await call('PUT', `/v1/brand-kits/${kit.id}/logo`, readFileSync(join(dir, 'logo.png')));
  }

  const templates: Record<string, string> = {};
  const templateFiles = readdirSync(join(dir, 'templates'))
    .filter((file) => file.endsWith('.json'))
    .sort();
  for (const file of templateFiles) {
    const name = basename(file, '.json');
    const template = await call<{ id: string }>(
      'POST',
      '/v1/templates',
      readJson(join(dir, 'templates', file)),
      `template:${name}`,
    );
    templates[name] = template.id;
  }

  const segments: Record<string, string> = {};
  for (const segment of readJson<{ key: string }[]>(join(dir, 'segments.json'))) {
    const created = await call<{ id: string }>('POST', '/v1/segments', segment, `segment:${segment.key}`);
    segments[segment.key] = created.id;
  }

  let campaignId: string | null = null;
  if (options.campaign !== false && existsSync(join(dir, 'campaign.json'))) {
    const campaign = await call<{ id: string }>(
      'POST',
      '/v1/campaigns',
      {
        ...readJson<Record<string, unknown>>(join(dir, 'campaign.json')),
        templates: Object.values(templates).map((templateId) => ({ templateId, version: 1 })),
        segmentIds: Object.values(segments),
        brandKitId: kit.id,
      },
      'campaign',
    );
    campaignId = campaign.id;
  }
  return { brandKitId: kit.id, templates, segments, campaignId };
}
