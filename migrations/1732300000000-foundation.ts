import { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1732300000000 implements MigrationInterface {
  name = 'Foundation1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE workspace (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        name text NOT NULL DEFAULT '',
        prefix text NOT NULL,
        hash bytea NOT NULL UNIQUE,
        role text NOT NULL CHECK (role IN ('admin', 'marketer', 'platform', 'analyst')),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_key_workspace ON api_key (workspace_id, created_at, id)`);
    await q.query(`
      CREATE TABLE idempotency_record (
        workspace_id uuid NOT NULL REFERENCES workspace(id) ON DELETE CASCADE,
        key text NOT NULL,
        method text NOT NULL,
        path text NOT NULL,
        request_hash text NOT NULL,
        status int,
        headers jsonb,
        body text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE idempotency_record');
    await q.query('DROP TABLE api_key');
    await q.query('DROP TABLE workspace');
  }
}
