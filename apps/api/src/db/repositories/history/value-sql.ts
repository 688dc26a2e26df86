// How SQL compares fact values. They are stored as json (its text as written, see the migration
// 20261202090000_fact_values_json), which has no equality operator: the same text is the same
// value, cheaply; a different text may still be the same JSON, and jsonb decides those. Parsing
// both as jsonb is the costly part (~0.4 s of the hour-long diff at 1000 nodes, 216k differences),
// so it is skipped where the texts cannot be the same value. Fact values are objects: the API
// writes them with JSON.stringify (no whitespace, numbers and strings written one way), so two
// such texts of one value differ only in key order, which keeps their length; jsonb's text (the
// versions the migration converted, and any written through jsonb) puts a space after every ':'
// and ','. Texts of different lengths with no space in either are therefore different values.

/** SQL: whether the json values `a` and `b` (or their text; either may be NULL: absent) differ. */
export function valuesDiffer(a: string, b: string): string {
  const maybeSame = `(octet_length(${a}::text) = octet_length(${b}::text) OR strpos(${a}::text, ' ') > 0 OR strpos(${b}::text, ' ') > 0)`;
  return `(${a}::text IS DISTINCT FROM ${b}::text AND (${a} IS NULL OR ${b} IS NULL OR NOT ${maybeSame} OR ${a}::jsonb <> ${b}::jsonb))`;
}
