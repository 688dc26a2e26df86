// Issue 15's finding 4, shared by resnapshot-unanalyzed.spec.ts (correctness, a loose time bound)
// and bench/resnapshot.bench.ts (the figure): a node holds 40k facts on a facts table without
// planner statistics (new, never analyzed, autovacuum off), then sends a snapshot of 120k others.
// One scenario, so the test and the figure always measure the same case.
import { type IngestAck } from '@netatlas/wire';
import { IngestService } from '../ingest/ingest.service.js';
import { FakeCollector, startTestApi, type TestApi } from './api.js';
import { route } from './facts.js';
import { withClient } from './postgres.js';

const routes = (n: number, base: number) => Array.from({ length: n }, (_, i) => route(`10.${base + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`));

export interface Resnapshot {
  /** the API, its database and the collector stay up until close, for the caller's own checks */
  api: TestApi;
  /** the answer to the first snapshot (40k facts) */
  first: IngestAck;
  /** what the planner knew of the facts table before the resnapshot */
  statistics: { analyzed: boolean; n: string } | undefined;
  /** the answer to the resnapshot (120k other facts) */
  ack: IngestAck;
  /** the API's own timing of the resnapshot (validation to commit) */
  lastSnapshot: { facts: number; ms: number } | null;
  /** the resnapshot's round trip as the collector saw it, in ms */
  roundTripMs: number;
  /** Closes the collector, stops the API and drops its database. */
  close(): Promise<void>;
}

/**
 * Runs the scenario on a fresh API and database (`label` names the database). Throws when the case
 * cannot be built (the first snapshot refused, or the table has statistics); the resnapshot's answer
 * is left to the caller. `log` hears each step before it starts.
 */
export async function resnapshotOnUnanalyzedTable(label: string, log: (step: string) => void = () => undefined): Promise<Resnapshot> {
  const t = await startTestApi(label, { maxMessageBytes: 64 * 1024 * 1024 });
  let c: FakeCollector | undefined;
  const close = async () => {
    c?.close();
    await t.close();
  };
  try {
    await withClient(t.database.url, (db) => db.query('ALTER TABLE facts SET (autovacuum_enabled = false)'));
    c = await FakeCollector.connect(t.url, 'big');
    log('40k facts');
    const first = await c.snapshot(routes(40_000, 0));
    if (!first.ok) throw new Error(`the first snapshot was refused: ${JSON.stringify(first)}`);
    const stats = await withClient(t.database.url, (db) =>
      db.query<{ analyzed: boolean; n: string }>(
        `SELECT (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed, (SELECT count(*) FROM pg_stats WHERE tablename = 'facts')::text AS n
         FROM pg_stat_user_tables WHERE relname = 'facts'`,
      ),
    );
    const statistics = stats.rows[0];
    if (statistics?.n !== '0') throw new Error('the facts table has statistics: the case needs a table without');
    log('a snapshot of 120k others');
    const t0 = performance.now();
    const ack = await c.snapshot(routes(120_000, 100));
    const roundTripMs = performance.now() - t0;
    const lastSnapshot = t.api.app.get(IngestService).stats.lastSnapshot;
    return { api: t, first, statistics, ack, lastSnapshot, roundTripMs, close };
  } catch (error) {
    await close();
    throw error;
  }
}
