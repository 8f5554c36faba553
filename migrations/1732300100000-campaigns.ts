import { MigrationInterface, QueryRunner } from 'typeorm';

/** Brand kits, templates and their immutable versions, segments, campaigns, variants, clips, renders. */
export class Campaigns1732300100000 implements MigrationInterface {
  name = 'Campaigns1732300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE workspace
        ADD COLUMN content_policy jsonb NOT NULL DEFAULT '{"blockedTerms": [], "realPeople": []}',
        ADD COLUMN updated_at timestamptz(3) NOT NULL DEFAULT now()`);

    await q.query(`
      CREATE TABLE brand_kit (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        name text NOT NULL,
        colors jsonb NOT NULL,
        font text NOT NULL,
        logo_key text,
        logo_content_type text,
        music_key text,
        disclaimer text,
        ai_disclosure jsonb NOT NULL DEFAULT '{}',
        version int NOT NULL DEFAULT 1,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, name)
      )`);
    await q.query(`CREATE INDEX brand_kit_page ON brand_kit (workspace_id, created_at, id)`);

    await q.query(`
      CREATE TABLE template (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        name text NOT NULL,
        latest_version int NOT NULL DEFAULT 0,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, name)
      )`);
    await q.query(`CREATE INDEX template_page ON template (workspace_id, created_at, id)`);
    await q.query(`
      CREATE TABLE template_version (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        template_id uuid NOT NULL REFERENCES template(id) ON DELETE CASCADE,
        version int NOT NULL,
        prompt text NOT NULL,
        headline text NOT NULL,
        cta text NOT NULL,
        captions jsonb NOT NULL DEFAULT '[]',
        variables jsonb NOT NULL DEFAULT '[]',
        locales jsonb NOT NULL DEFAULT '{}',
        alternatives jsonb NOT NULL DEFAULT '{}',
        used_variables text[] NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (template_id, version)
      )`);

    await q.query(`
      CREATE TABLE segment (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        key text NOT NULL,
        name text NOT NULL,
        locales text[] NOT NULL,
        attributes jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, key)
      )`);
    await q.query(`CREATE INDEX segment_page ON segment (workspace_id, created_at, id)`);

    await q.query(`
      CREATE TABLE campaign (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        name text NOT NULL,
        status text NOT NULL DEFAULT 'draft'
          CHECK (status IN ('draft', 'generating', 'review', 'live', 'paused', 'archived')),
        objective text NOT NULL CHECK (objective IN ('ctr', 'vtr', 'cvr')),
        formats text[] NOT NULL,
        generator text NOT NULL CHECK (generator IN ('procedural', 'openai-videos', 'comfyui')),
        model text NOT NULL DEFAULT '',
        duration_ms int NOT NULL,
        budget_max_variants int NOT NULL,
        budget_max_generation_seconds numeric NOT NULL,
        landing_url text NOT NULL,
        brand_kit_id uuid REFERENCES brand_kit(id),
        optimizer jsonb NOT NULL DEFAULT '{}',
        srm_flag boolean NOT NULL DEFAULT false,
        winner jsonb,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX campaign_page ON campaign (workspace_id, created_at, id)`);
    await q.query(`CREATE INDEX campaign_live ON campaign (status) WHERE status = 'live'`);
    await q.query(`
      CREATE TABLE campaign_template (
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        template_version_id uuid NOT NULL REFERENCES template_version(id),
        position int NOT NULL,
        PRIMARY KEY (campaign_id, template_version_id)
      )`);
    await q.query(`
      CREATE TABLE campaign_segment (
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        segment_id uuid NOT NULL REFERENCES segment(id),
        position int NOT NULL,
        PRIMARY KEY (campaign_id, segment_id)
      )`);

    await q.query(`
      CREATE TABLE wave (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        number int NOT NULL,
        status text NOT NULL DEFAULT 'running' CHECK (status IN ('planning', 'running', 'completed', 'cancelled')),
        variant_count int NOT NULL DEFAULT 0,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        completed_at timestamptz(3),
        UNIQUE (campaign_id, number)
      )`);

    await q.query(`
      CREATE TABLE clip (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        prompt_hash text NOT NULL,
        generator text NOT NULL,
        model text NOT NULL DEFAULT '',
        seed bigint,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'generating', 'ready', 'failed')),
        error text,
        s3_key text,
        width int,
        height int,
        duration_ms int,
        bytes bigint,
        sha256 text,
        provider_job_id text,
        gpu_seconds numeric NOT NULL DEFAULT 0,
        cost numeric NOT NULL DEFAULT 0,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, prompt_hash)
      )`);

    await q.query(`
      CREATE TABLE variant (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        wave_id uuid NOT NULL REFERENCES wave(id) ON DELETE CASCADE,
        template_version_id uuid NOT NULL REFERENCES template_version(id),
        segment_id uuid NOT NULL REFERENCES segment(id),
        locale text NOT NULL,
        state text NOT NULL DEFAULT 'queued' CHECK (state IN
          ('queued', 'generating', 'composing', 'ready', 'failed', 'approved', 'rejected', 'paused', 'cancelled')),
        failure_reason text,
        review_reason text,
        prompt text NOT NULL,
        prompt_hash text NOT NULL,
        copy jsonb NOT NULL,
        slots jsonb NOT NULL DEFAULT '{}',
        clip_id uuid REFERENCES clip(id),
        parent_variant_id uuid REFERENCES variant(id),
        generation int NOT NULL DEFAULT 1,
        is_control boolean NOT NULL DEFAULT false,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX variant_campaign ON variant (campaign_id, created_at, id)`);
    await q.query(
      `CREATE INDEX variant_in_flight ON variant (state) WHERE state IN ('queued', 'generating', 'composing')`,
    );
    await q.query(`CREATE INDEX variant_wave ON variant (wave_id, state)`);
    await q.query(`CREATE INDEX variant_prompt_hash ON variant (workspace_id, prompt_hash)`);

    await q.query(`
      CREATE TABLE render (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        variant_id uuid NOT NULL REFERENCES variant(id) ON DELETE CASCADE,
        format text NOT NULL,
        s3_key text NOT NULL,
        width int NOT NULL,
        height int NOT NULL,
        duration_ms int NOT NULL,
        bytes bigint NOT NULL,
        bitrate_kbps int NOT NULL,
        sha256 text NOT NULL,
        poster_key text NOT NULL,
        captions_vtt_key text,
        captions_srt_key text,
        manifest_key text,
        manifest jsonb,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (variant_id, format)
      )`);
    await q.query(`CREATE INDEX render_sha256 ON render (sha256)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'render',
      'variant',
      'clip',
      'wave',
      'campaign_segment',
      'campaign_template',
      'campaign',
      'segment',
      'template_version',
      'template',
      'brand_kit',
    ])
      await q.query(`DROP TABLE ${table}`);
    await q.query('ALTER TABLE workspace DROP COLUMN content_policy, DROP COLUMN updated_at');
  }
}
