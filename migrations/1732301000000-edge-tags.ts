import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * VAST tags: one row per tag a marketer made for a campaign × segment (× format), revoked by setting
 * `revoked_at`; the tag's URL carries its id, signed. And a campaign's measurement vendors
 * (`ad_verifications`: OMID vendor, script URL, parameters), passed through in its VAST.
 */
export class EdgeTags1732301000000 implements MigrationInterface {
  name = 'EdgeTags1732301000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tag (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        segment_key text NOT NULL,
        format text,
        name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX tag_campaign_idx ON tag (campaign_id, created_at)`);
    await q.query(`ALTER TABLE campaign ADD COLUMN ad_verifications jsonb NOT NULL DEFAULT '[]'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaign DROP COLUMN ad_verifications`);
    await q.query(`DROP TABLE tag`);
  }
}
