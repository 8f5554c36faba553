import { MigrationInterface, QueryRunner } from 'typeorm';

/** How many times a model produced each clip: 1 when the cache works, more only after a lost result. */
export class ClipGenerations1732300300000 implements MigrationInterface {
  name = 'ClipGenerations1732300300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clip ADD COLUMN generations int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clip DROP COLUMN generations`);
  }
}
