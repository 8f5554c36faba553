import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each allocation snapshot also records the cumulative counts per variant at that moment, so the
 * traffic of every period between two snapshots is known exactly (for the sample-ratio check and
 * period-weighted estimates), whatever the rollups' hourly grain.
 */
export class AllocationCounts1732300400000 implements MigrationInterface {
  name = 'AllocationCounts1732300400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE allocation_history ADD COLUMN counts jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE campaign ADD COLUMN evolved_from uuid[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE allocation_history DROP COLUMN counts`);
    await q.query(`ALTER TABLE campaign DROP COLUMN evolved_from`);
  }
}
