// The SQL condition for the fact versions valid at a moment, shared by every state read.
import type { FactKind } from '@netatlas/wire';
import pg from 'pg';

/**
 * The condition for the versions valid now (at = null) or at a moment, optionally of some kinds
 * only; its values are appended to `params`. State at T must be written as a range containment for
 * the GiST index to serve it.
 */
export function validAt(params: unknown[], at: Date | null, kinds: readonly FactKind[] | null): string {
  let where = 'f.valid_to IS NULL';
  if (at) {
    params.push(at);
    where = `tstzrange(f.valid_from, f.valid_to, '[)') @> $${params.length}::timestamptz`;
  }
  if (kinds) {
    params.push(kinds);
    where += ` AND f.kind = ANY($${params.length}::text[])`;
  }
  return where;
}

/**
 * `validAt` with the moment and kinds written into the SQL as literals, for statements that take
 * no bind parameters (COPY): the moment is an ISO 8601 text from a Date, kinds are escaped.
 */
export function validAtLiteral(at: Date | null, kinds: readonly FactKind[] | null): string {
  let where = 'f.valid_to IS NULL';
  if (at) {
    if (Number.isNaN(at.getTime())) throw new Error('validAtLiteral: invalid date');
    where = `tstzrange(f.valid_from, f.valid_to, '[)') @> ${pg.escapeLiteral(at.toISOString())}::timestamptz`;
  }
  if (kinds) where += ` AND f.kind = ANY(ARRAY[${kinds.map((k) => pg.escapeLiteral(k)).join(',') || "''"}]::text[])`;
  return where;
}
