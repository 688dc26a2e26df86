import type { ApiToken } from '@netatlas/wire/core';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/rest-client.js';
import { adminOutcome, tokenNameProblem, tokenRows } from './admin-model.js';

const token = (over: Partial<ApiToken> & Pick<ApiToken, 'id' | 'name'>): ApiToken => ({ role: 'viewer', createdAt: '2026-11-23T15:00:00.000Z', createdBy: 'alice', lastUsedAt: null, ...over });

describe('the API tokens table', () => {
  it('by name, with times in UTC, "never" when unused and a dash when nobody is recorded as the creator', () => {
    const rows = tokenRows([token({ id: 2, name: 'grafana', lastUsedAt: '2026-11-23T15:05:06.000Z' }), token({ id: 1, name: 'ci', createdBy: null, role: 'operator' })]);
    expect(rows.map((r) => [r.token.name, r.created, r.createdBy, r.lastUsed])).toEqual([
      ['ci', '2026-11-23 15:00:00', '—', 'never'],
      ['grafana', '2026-11-23 15:00:00', 'alice', '2026-11-23 15:05:06'],
    ]);
  });

  it('a new name must be given and new (the API has the last word on the rest)', () => {
    const existing = [token({ id: 1, name: 'ci' })];
    expect(tokenNameProblem('  ', existing)).toMatch(/name/);
    expect(tokenNameProblem('ci', existing)).toBe('There is a token named ci already.');
    expect(tokenNameProblem(' grafana ', existing)).toBeNull();
  });
});

describe('the page as a whole', () => {
  const ok = (value: unknown): PromiseSettledResult<unknown> => ({ status: 'fulfilled', value });
  const failed = (reason: unknown): PromiseSettledResult<unknown> => ({ status: 'rejected', reason });

  it('a 403 from either read refuses the page (the API decides who is an admin)', () => {
    const forbidden = new ApiError(403, 'needs role admin; you are operator', '/api/admin/tokens');
    expect(adminOutcome([failed(forbidden), ok([])])).toEqual({ kind: 'forbidden', error: forbidden });
    expect(adminOutcome([ok([]), failed(forbidden)]).kind).toBe('forbidden');
  });

  it('other failures leave the page up, each part saying its own', () => {
    expect(adminOutcome([ok([]), ok([])])).toEqual({ kind: 'shown' });
    expect(adminOutcome([failed(new ApiError(500, 'boom', '/api/admin/settings')), ok([])])).toEqual({ kind: 'shown' });
  });
});
