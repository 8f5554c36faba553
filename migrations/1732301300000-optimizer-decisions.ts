import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the optimiser decided per segment in its latest run, beside the weights: the pause and winner
 * rules, each paused variant's numbers, and the winner state that carries from run to run.
 */
export class OptimizerDecisions1732301300000 implements MigrationInterface {
  name = 'OptimizerDecisions1732301300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE allocation ADD COLUMN decisions jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE allocation DROP COLUMN decisions`);
  }
}
