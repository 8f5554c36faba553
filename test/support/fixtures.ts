import { Client } from 'pg';

export interface SeedOptions {
  workspace?: string;
  /** Prompt templates; `{{segment.attributes.sport}}` and friends resolve from the segment. */
  prompts: string[];
  segments: { key: string; name: string; locales: string[]; attributes: Record<string, unknown> }[];
  formats?: string[];
  durationMs?: number;
  maxVariants?: number;
  maxGenerationSeconds?: number;
  generator?: string;
  /** The first generator's model; its configured default when empty. */
  model?: string;
  /** Generators tried after the first, in order (`provider` or `provider:model`). */
  fallbacks?: string[];
}

export interface Seeded {
  workspaceId: string;
  campaignId: string;
  templateVersionIds: string[];
  segmentIds: string[];
}

/** A draft campaign written straight into Postgres, for tests whose subject is what comes after the admin API. */
export async function seedCampaign(databaseUrl: string, options: SeedOptions): Promise<Seeded> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const q = async <T = Record<string, string>>(sql: string, params: unknown[] = []) =>
      (await db.query(sql, params)).rows as T[];
    const [{ id: workspaceId }] = await q(
      `INSERT INTO workspace (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [options.workspace ?? 'default'],
    );
    const templateVersionIds: string[] = [];
    for (const [i, prompt] of options.prompts.entries()) {
      const [{ id: templateId }] = await q(
        `INSERT INTO template (workspace_id, name, latest_version) VALUES ($1, $2, 1) RETURNING id`,
        [workspaceId, `template ${i + 1} ${Math.random().toString(36).slice(2, 8)}`],
      );
      const [{ id }] = await q(
        `INSERT INTO template_version (workspace_id, template_id, version, prompt, headline, cta, captions)
         VALUES ($1, $2, 1, $3, 'Made for {{segment.name}}', 'Try it today', $4) RETURNING id`,
        [
          workspaceId,
          templateId,
          prompt,
          JSON.stringify([{ startMs: 0, endMs: 900, text: 'Ready when you are' }]),
        ],
      );
      templateVersionIds.push(id);
    }
    const segmentIds: string[] = [];
    for (const segment of options.segments) {
      const [{ id }] = await q(
        `INSERT INTO segment (workspace_id, key, name, locales, attributes) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [workspaceId, segment.key, segment.name, segment.locales, JSON.stringify(segment.attributes)],
      );
      segmentIds.push(id);
    }
    const [{ id: campaignId }] = await q(
      `INSERT INTO campaign (workspace_id, name, objective, formats, generator, duration_ms, budget_max_variants,
                             budget_max_generation_seconds, landing_url, model, fallbacks)
       VALUES ($1, 'seeded', 'ctr', $2, $3, $4, $5, $6, 'https://example.com/landing', $7, $8) RETURNING id`,
      [
        workspaceId,
        options.formats ?? ['1x1'],
        options.generator ?? 'procedural',
        options.durationMs ?? 1000,
        options.maxVariants ?? 1000,
        options.maxGenerationSeconds ?? 10_000,
        options.model ?? '',
        options.fallbacks ?? [],
      ],
    );
    for (const [i, id] of templateVersionIds.entries())
      await q(
        `INSERT INTO campaign_template (campaign_id, template_version_id, position) VALUES ($1, $2, $3)`,
        [campaignId, id, i],
      );
    for (const [i, id] of segmentIds.entries())
      await q(`INSERT INTO campaign_segment (campaign_id, segment_id, position) VALUES ($1, $2, $3)`, [
        campaignId,
        id,
        i,
      ]);
    return { workspaceId, campaignId, templateVersionIds, segmentIds };
  } finally {
    await db.end();
  }
}

/** Runs one query against a test database. */
export async function sql<T = Record<string, unknown>>(
  databaseUrl: string,
  text: string,
  params: unknown[] = [],
) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return (await db.query(text, params)).rows as T[];
  } finally {
    await db.end();
  }
}

/** Waits for `check` to return a value (not undefined/false) before the deadline; no fixed sleeps. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Waits until the campaign's wave is done and the campaign is in review. */
export function campaignInReview(databaseUrl: string, campaignId: string, timeoutMs: number) {
  return eventually(
    async () => {
      const [row] = await sql<{ status: string }>(databaseUrl, 'SELECT status FROM campaign WHERE id = $1', [
        campaignId,
      ]);
      return row.status === 'review' ? row : undefined;
    },
    timeoutMs,
    'the wave to complete',
  );
}
