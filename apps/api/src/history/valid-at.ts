// The SQL condition for the fact versions valid at a moment, shared by every state read.
import type { FactKind } from '@netatlas/wire';

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
