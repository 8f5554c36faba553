import { MigrationInterface, QueryRunner } from 'typeorm';

/** Engagement intake, rollups, allocations, webhooks. */
export class Engagement1732300200000 implements MigrationInterface {
  name = 'Engagement1732300200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event_seen (
        workspace_id uuid NOT NULL,
        id text NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, id)
      )`);
    await q.query(`
      CREATE TABLE metric_rollup (
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        variant_id uuid NOT NULL REFERENCES variant(id) ON DELETE CASCADE,
        segment_key text NOT NULL,
        hour timestamptz NOT NULL,
        impressions bigint NOT NULL DEFAULT 0,
        starts bigint NOT NULL DEFAULT 0,
        q25 bigint NOT NULL DEFAULT 0,
        q50 bigint NOT NULL DEFAULT 0,
        q75 bigint NOT NULL DEFAULT 0,
        completes bigint NOT NULL DEFAULT 0,
        clicks bigint NOT NULL DEFAULT 0,
        conversions bigint NOT NULL DEFAULT 0,
        conversion_value numeric NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign_id, variant_id, segment_key, hour)
      )`);
    await q.query(`CREATE INDEX metric_rollup_time ON metric_rollup (campaign_id, hour)`);
    await q.query(`
      CREATE TABLE import_file (
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        sha256 text NOT NULL,
        rows int NOT NULL,
        imported_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, sha256)
      )`);

    await q.query(`
      CREATE TABLE allocation (
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        segment_key text NOT NULL,
        weights jsonb NOT NULL,
        p_best jsonb NOT NULL DEFAULT '{}',
        frozen boolean NOT NULL DEFAULT false,
        reason text,
        computed_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (campaign_id, segment_key)
      )`);
    await q.query(`
      CREATE TABLE allocation_history (
        id bigserial PRIMARY KEY,
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        segment_key text NOT NULL,
        weights jsonb NOT NULL,
        p_best jsonb NOT NULL DEFAULT '{}',
        frozen boolean NOT NULL DEFAULT false,
        srm_p double precision,
        reason text,
        computed_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX allocation_history_campaign ON allocation_history (campaign_id, computed_at)`,
    );

    await q.query(`
      CREATE TABLE webhook_endpoint (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        url text NOT NULL,
        events text[] NOT NULL,
        secret text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX webhook_endpoint_page ON webhook_endpoint (workspace_id, created_at, id)`);
    await q.query(`
      CREATE TABLE webhook_delivery (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL REFERENCES webhook_endpoint(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        delivered_at timestamptz(3)
      )`);
    await q.query(`CREATE INDEX webhook_delivery_page ON webhook_delivery (endpoint_id, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'webhook_delivery',
      'webhook_endpoint',
      'allocation_history',
      'allocation',
      'import_file',
      'metric_rollup',
      'event_seen',
    ])
      await q.query(`DROP TABLE ${table}`);
  }
}
