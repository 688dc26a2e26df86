import type { Fact, FactKind } from '@netatlas/wire';

/** Counts facts per kind, most numerous first (ties by kind name), for the status line. */
export function summarizeFacts(facts: readonly Pick<Fact, 'kind'>[]): string {
  const counts = new Map<FactKind, number>();
  for (const { kind } of facts) {
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  if (counts.size === 0) {
    return 'no facts';
  }
  return [...counts]
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
}
