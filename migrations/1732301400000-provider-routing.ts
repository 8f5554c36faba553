import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Provider routing: a campaign's generator may be fal or gemini-veo, may be followed by fallbacks
 * (`provider` or `provider:model`, tried in order when the one before fails transiently), and may cap
 * its generation spend in money as well as seconds.
 */
export class ProviderRouting1732301400000 implements MigrationInterface {
  name = 'ProviderRouting1732301400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaign DROP CONSTRAINT IF EXISTS campaign_generator_check`);
    await q.query(
      `ALTER TABLE campaign ADD CONSTRAINT campaign_generator_check
         CHECK (generator IN ('procedural', 'openai-videos', 'comfyui', 'fal', 'gemini-veo'))`,
    );
    await q.query(`ALTER TABLE campaign ADD COLUMN fallbacks text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE campaign ADD COLUMN budget_max_cost numeric`);
    await q.query(`CREATE INDEX clip_generator ON clip (workspace_id, generator, model)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX clip_generator`);
    await q.query(`ALTER TABLE campaign DROP COLUMN budget_max_cost`);
    await q.query(`ALTER TABLE campaign DROP COLUMN fallbacks`);
    await q.query(`ALTER TABLE campaign DROP CONSTRAINT campaign_generator_check`);
    await q.query(
      `ALTER TABLE campaign ADD CONSTRAINT campaign_generator_check
         CHECK (generator IN ('procedural', 'openai-videos', 'comfyui'))`,
    );
  }
}
