// Where an address lived (GET /api/addresses/{ip}/history): the versions of the facts that place it
// on a node — an address on an interface, a host route into a pod's interface, a neighbor entry
// behind a pod bridge — over a window. Read on the read pool, in a read-only transaction.
import type pg from 'pg';

export interface AddressVersion {
  node: string;
  kind: 'addr' | 'route' | 'neigh';
  value: { ifname?: string; dev?: string | null; lladdr?: string | null };
  validFrom: Date;
  validTo: Date | null;
}

interface Row {
  node: string;
  kind: 'addr' | 'route' | 'neigh';
  value: AddressVersion['value'];
  valid_from: Date;
  valid_to: Date | null;
}

/** At most this many versions are read for one address (a flapping neighbor entry makes many). */
export const ADDRESS_VERSIONS_MAX = 10_000;

export class AddressHistoryRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Versions in [from, to] of: `addr` facts holding `ip`; unicast host routes (`ip`/32 or /128) of
   * table main without a gateway; neighbor entries for `ip` (not proxy ones) on a device that was a
   * bridge at the time. Ordered by start, then node. (No index serves `value->>'address'`: this
   * reads every version in the window; fine for an on-call question, not for a dashboard.)
   */
  async versions(ip: string, hostPrefix: string, from: Date, to: Date): Promise<AddressVersion[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      const { rows } = await client.query<Row>(
        `SELECT n.name AS node, f.kind, f.value, f.valid_from, f.valid_to
           FROM facts f JOIN nodes n ON n.id = f.node_id
          WHERE f.kind IN ('addr', 'route', 'neigh')
            AND f.valid_from <= $4 AND (f.valid_to IS NULL OR f.valid_to > $3)
            AND (
              (f.kind = 'addr' AND f.value->>'address' = $1)
              OR (f.kind = 'route' AND f.value->>'dst' = $2 AND f.value->>'type' = 'unicast' AND f.value->>'table' = 'main'
                  AND f.value->>'gateway' IS NULL AND f.value->>'dev' IS NOT NULL)
              OR (f.kind = 'neigh' AND f.value->>'address' = $1 AND f.value->>'proxy' = 'false' AND f.value->>'lladdr' IS NOT NULL
                  AND EXISTS (SELECT 1 FROM facts l WHERE l.node_id = f.node_id AND l.kind = 'link' AND l.key = f.value->>'dev'
                              AND l.value->>'kind' = 'bridge'
                              AND l.valid_from < coalesce(f.valid_to, 'infinity') AND (l.valid_to IS NULL OR l.valid_to > f.valid_from)))
            )
          ORDER BY f.valid_from, n.name
          LIMIT ${ADDRESS_VERSIONS_MAX}`,
        [ip, hostPrefix, from, to],
      );
      await client.query('COMMIT');
      return rows.map((r) => ({ node: r.node, kind: r.kind, value: r.value, validFrom: r.valid_from, validTo: r.valid_to }));
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
