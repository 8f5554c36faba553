import { MigrationInterface, QueryRunner } from 'typeorm';

const DAY_MS = 86_400_000;
/** Partitions made here: the default dedupe window back, two days ahead; the consumer makes the rest. */
const DAYS_BACK = 8;
const DAYS_AHEAD = 2;

function dayName(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Dedupe is bounded: `event_seen` becomes a table partitioned by the UTC day an id was first seen,
 * one partition per day (`event_seen_YYYYMMDD`), which housekeeping drops once the day is past the
 * dedupe window. Ids seen in the last eight days are kept; older ones are forgotten, as the window
 * would have forgotten them.
 */
export class EventSeenPartitions1732301100000 implements MigrationInterface {
  name = 'EventSeenPartitions1732301100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE event_seen RENAME TO event_seen_unbounded`);
    await q.query(
      `ALTER TABLE event_seen_unbounded RENAME CONSTRAINT event_seen_pkey TO event_seen_unbounded_pkey`,
    );
    await q.query(`
      CREATE TABLE event_seen (
        workspace_id uuid NOT NULL,
        id text COLLATE "C" NOT NULL,
        day date NOT NULL,
        PRIMARY KEY (workspace_id, id, day)
      ) PARTITION BY RANGE (day)`);
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    for (let d = -DAYS_BACK; d <= DAYS_AHEAD; d++) {
      const from = today + d * DAY_MS;
      await q.query(
        `CREATE TABLE event_seen_${dayName(from).replace(/-/g, '')} PARTITION OF event_seen
         FOR VALUES FROM ('${dayName(from)}') TO ('${dayName(from + DAY_MS)}')`,
      );
    }
    await q.query(
      `INSERT INTO event_seen (workspace_id, id, day)
       SELECT workspace_id, id, (seen_at AT TIME ZONE 'UTC')::date FROM event_seen_unbounded
       WHERE seen_at >= $1`,
      [new Date(today - DAYS_BACK * DAY_MS).toISOString()],
    );
    await q.query(`DROP TABLE event_seen_unbounded`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE event_seen RENAME TO event_seen_partitioned`);
    await q.query(`
      CREATE TABLE event_seen (
        workspace_id uuid NOT NULL,
        id text COLLATE "C" NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, id)
      )`);
    await q.query(
      `INSERT INTO event_seen (workspace_id, id, seen_at)
       SELECT workspace_id, id, min(day)::timestamptz FROM event_seen_partitioned GROUP BY workspace_id, id`,
    );
    await q.query(`DROP TABLE event_seen_partitioned`);
  }
}
