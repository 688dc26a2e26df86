import type { Fact } from '@netatlas/wire';

/** The identity of a fact across snapshots and deltas: its kind and key. */
export function factId(fact: Pick<Fact, 'kind' | 'key'>): string {
  return `${fact.kind}|${fact.key}`;
}
