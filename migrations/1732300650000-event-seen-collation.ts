import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Event ids compare byte by byte: the dedupe index on `event_seen` is the hot spot of event intake,
 * and a linguistic collation (a database created with `en_US.UTF-8`) makes every comparison several
 * times slower for no use (nobody sorts event ids for people). Intake writes ids in "C" order too, so
 * each batch walks the index in order.
 */
export class EventSeenCollation1732300650000 implements MigrationInterface {
  name = 'EventSeenCollation1732300650000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE event_seen ALTER COLUMN id TYPE text COLLATE "C"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE event_seen ALTER COLUMN id TYPE text COLLATE "default"`);
  }
}
