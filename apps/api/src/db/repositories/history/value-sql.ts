// How SQL compares fact values. They are stored as json (its text as written, see the migration
// 20261202090000_fact_values_json), which has no equality operator: the same text is the same
// value, cheaply; a different text may still be the same JSON (fields in another order, spaces:
// versions written as jsonb before), so jsonb decides those.

/** SQL: whether the json values `a` and `b` (or their text; either may be NULL: absent) differ. */
export function valuesDiffer(a: string, b: string): string {
  return `(${a}::text IS DISTINCT FROM ${b}::text AND (${a} IS NULL OR ${b} IS NULL OR ${a}::jsonb <> ${b}::jsonb))`;
}
