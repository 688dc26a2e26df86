// What retention deletes (NETATLAS_RETENTION_DAYS): fact versions that ended before a cutoff and
// node events older than it. A current version (valid_to null) is never matched, however old.
import type pg from 'pg';

export class RetentionRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Deletes at most `limit` fact versions that ended before `cutoff`; the number deleted. Batched by
   * the caller, so that no single statement holds locks on a year of history.
   */
  async deleteEndedFacts(cutoff: Date, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(`DELETE FROM facts WHERE id IN (SELECT id FROM facts WHERE valid_to < $1 LIMIT ${Math.trunc(limit)})`, [cutoff]);
    return rowCount ?? 0;
  }

  /** Deletes the node events before `cutoff`; the number deleted. */
  async deleteEventsBefore(cutoff: Date): Promise<number> {
    const { rowCount } = await this.pool.query(`DELETE FROM node_events WHERE at < $1`, [cutoff]);
    return rowCount ?? 0;
  }
}
