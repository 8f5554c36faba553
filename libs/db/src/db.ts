import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** A transaction (`db.transaction(tx => …)`) to run a statement in; the pool when absent. */
export type Queryable = EntityManager;

/**
 * The Postgres handle repositories use: plain SQL with numbered parameters, and transactions.
 * `Db` is the only way services reach the database.
 */
@Injectable()
export class Db {
  constructor(readonly dataSource: DataSource) {}

  /** Rows of any statement (RETURNING rows for INSERT/UPDATE/DELETE). */
  async query<T = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    via?: Queryable,
  ): Promise<T[]> {
    const runner = via?.queryRunner ?? this.dataSource.createQueryRunner();
    try {
      const result = await runner.query(sql, params, true);
      return result.records as T[];
    } finally {
      if (!via) await runner.release();
    }
  }

  async one<T = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
    via?: Queryable,
  ): Promise<T | undefined> {
    const rows = await this.query<T>(sql, params, via);
    return rows[0];
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
