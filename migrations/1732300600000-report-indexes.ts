import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Allocation history by campaign and segment, newest last: the report reads each segment's latest
 * sample-ratio p-value and the allocation history endpoint each segment's latest entries with one
 * index probe per segment, however many optimiser runs the history holds.
 */
export class ReportIndexes1732300600000 implements MigrationInterface {
  name = 'ReportIndexes1732300600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX allocation_history_segment ON allocation_history (campaign_id, segment_key, computed_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX allocation_history_segment`);
  }
}
