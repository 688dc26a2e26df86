// The admin page's data as shown: API tokens in a stable order with their times as text, what a
// new token's name may be before the API is asked, and whether the page is refused altogether.
import type { ApiToken } from '@netatlas/wire/core';
import { describeFailure } from '../../api/rest-client.js';
import { formatDateTime } from '../../format/time.js';

export interface TokenRow {
  token: ApiToken;
  created: string;
  createdBy: string;
  lastUsed: string;
}

/** By name (names are how people tell tokens apart), then by id. */
export function tokenRows(tokens: readonly ApiToken[]): TokenRow[] {
  return [...tokens]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id))
    .map((token) => ({
      token,
      created: formatDateTime(token.createdAt),
      createdBy: token.createdBy ?? '—',
      lastUsed: token.lastUsedAt ? formatDateTime(token.lastUsedAt) : 'never',
    }));
}

/** What is wrong with a new token's name before it is sent (null: send it; the API has the last word). */
export function tokenNameProblem(name: string, existing: readonly ApiToken[]): string | null {
  const n = name.trim();
  if (n === '') return 'Give the token a name (who or what will use it).';
  if (existing.some((t) => t.name === n)) return `There is a token named ${n} already.`;
  return null;
}

/**
 * The page as a whole from its two reads: refused (a 403 from either — the API decides who is an
 * admin, not the tab) or shown, each part with its own error.
 */
export function adminOutcome(results: readonly PromiseSettledResult<unknown>[]): { kind: 'forbidden'; error: unknown } | { kind: 'shown' } {
  for (const r of results) if (r.status === 'rejected' && describeFailure(r.reason).kind === 'forbidden') return { kind: 'forbidden', error: r.reason };
  return { kind: 'shown' };
}
