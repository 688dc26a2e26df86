import { describe, expect, it } from 'vitest';
import { alert } from '../testing/alerts.js';
import { ApiError, describeFailure, errorKind, errorMessage, OPEN_API_ME, parseForbidden, RestClient, type FetchInit, type FetchLike } from './rest-client.js';

interface Call {
  url: string;
  init: FetchInit | undefined;
}

/** A fetch that answers each request with the next of `answers` and records what was asked. */
function fakeFetch(...answers: Array<{ status: number; body?: unknown }>): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const a = answers.shift() ?? { status: 500, body: { message: 'no answer left' } };
    return {
      ok: a.status >= 200 && a.status < 300,
      status: a.status,
      statusText: a.status === 401 ? 'Unauthorized' : a.status === 403 ? 'Forbidden' : 'OK',
      json: async () => {
        if (a.body === undefined) throw new SyntaxError('not JSON');
        return a.body;
      },
      text: async () => JSON.stringify(a.body),
    };
  };
  return { fetch, calls };
}

const UNAUTHORIZED = { statusCode: 401, message: 'sign in first', error: 'Unauthorized' };
const FORBIDDEN = { statusCode: 403, message: 'needs role operator; you are viewer', error: 'Forbidden' };

describe('classifying failed responses', () => {
  it('by status', () => {
    expect(errorKind(401)).toBe('unauthorized');
    expect(errorKind(403)).toBe('forbidden');
    expect(errorKind(404)).toBe('not-found');
    expect(errorKind(400)).toBe('invalid');
    expect(errorKind(409)).toBe('invalid');
    expect(errorKind(503)).toBe('unavailable');
    expect(errorKind(500)).toBe('failed');
  });

  it("a 403's roles from its message", () => {
    expect(parseForbidden('needs role operator; you are viewer')).toEqual({ needed: 'operator', have: 'viewer' });
    expect(parseForbidden('needs role admin; you are operator')).toEqual({ needed: 'admin', have: 'operator' });
    expect(parseForbidden('needs role root; you are viewer')).toBeNull();
    expect(parseForbidden('Forbidden resource')).toBeNull();
    // the body's fields first, as the API sends them
    expect(new ApiError(403, 'anything', '/api/x', { needed: 'admin', role: 'viewer' }).roles).toEqual({ needed: 'admin', have: 'viewer' });
    expect(new ApiError(403, 'needs role operator; you are viewer', '/api/x', { needed: 'root' }).roles).toEqual({ needed: 'operator', have: 'viewer' });
  });

  it("the API's message, a validation's list of them, or the status line", () => {
    expect(errorMessage(400, 'Bad Request', { message: 'from: not a time' })).toBe('from: not a time');
    expect(errorMessage(400, 'Bad Request', { message: ['name: empty', 'role: unknown'] })).toBe('name: empty; role: unknown');
    expect(errorMessage(502, 'Bad Gateway', null)).toBe('502 Bad Gateway');
    expect(errorMessage(500, 'Internal Server Error', { message: '' })).toBe('500 Internal Server Error');
  });

  it('reads as the role needed for a 403, as signed out for a 401', () => {
    const forbidden = new ApiError(403, FORBIDDEN.message, '/api/silences');
    expect(forbidden.kind).toBe('forbidden');
    expect(forbidden.roles).toEqual({ needed: 'operator', have: 'viewer' });
    expect(describeFailure(forbidden)).toEqual({ kind: 'forbidden', text: 'This needs the operator role; you are viewer.', needed: 'operator' });
    expect(describeFailure(new ApiError(403, 'Forbidden resource', '/api/x'))).toEqual({ kind: 'forbidden', text: 'Not allowed: Forbidden resource', needed: null });
    expect(describeFailure(new ApiError(401, 'sign in first', '/api/x')).kind).toBe('unauthorized');
    expect(describeFailure(new ApiError(400, 'from: not a time', '/api/x'))).toEqual({ kind: 'invalid', text: 'from: not a time', needed: null });
    expect(describeFailure(new TypeError('Failed to fetch'))).toEqual({ kind: 'network', text: 'Failed to fetch', needed: null });
  });
});

describe('RestClient and the session', () => {
  it('a 401 anywhere tells onUnauthorized (the session ended) and throws', async () => {
    const { fetch } = fakeFetch({ status: 401, body: UNAUTHORIZED });
    const ended: ApiError[] = [];
    const rest = new RestClient({ fetch, onUnauthorized: (e) => ended.push(e) });
    await expect(rest.nodes()).rejects.toMatchObject({ status: 401, kind: 'unauthorized', message: 'sign in first' });
    expect(ended.map((e) => e.path)).toEqual(['/api/nodes']);
  });

  it('a 403 throws with the roles and leaves the session alone', async () => {
    const { fetch } = fakeFetch({ status: 403, body: FORBIDDEN });
    let ended = 0;
    const rest = new RestClient({ fetch, onUnauthorized: () => ended++ });
    await expect(rest.acknowledgeAlert('7')).rejects.toMatchObject({ kind: 'forbidden', roles: { needed: 'operator', have: 'viewer' } });
    expect(ended).toBe(0);
  });

  it("a bad token is the sign-in form's to say, not a session that ended", async () => {
    const { fetch, calls } = fakeFetch({ status: 401, body: { message: 'unknown or revoked token' } }, { status: 200, body: { viewer: { subject: 'token:ci', name: 'ci', role: 'viewer', via: 'token' } } });
    let ended = 0;
    const rest = new RestClient({ fetch, onUnauthorized: () => ended++ });
    await expect(rest.tokenLogin('nope')).rejects.toMatchObject({ status: 401, message: 'unknown or revoked token' });
    expect(ended).toBe(0);
    expect(await rest.tokenLogin('na_secret')).toMatchObject({ name: 'ci', via: 'token' });
    expect(calls[1]).toEqual({
      url: '/api/auth/token-login',
      init: expect.objectContaining({ method: 'POST', body: '{"token":"na_secret"}', credentials: 'same-origin', headers: { accept: 'application/json', 'content-type': 'application/json' } }),
    });
  });

  it('unsafe requests: POST and DELETE, JSON bodies with their type, none without', async () => {
    const silence = { id: 3, rule: 'RouteLoss', labels: { node: 'n1' }, until: '2026-11-23T16:00:00.000Z', comment: 'c', createdBy: 'alice', createdAt: '2026-11-23T15:00:00.000Z' };
    const { fetch, calls } = fakeFetch(
      { status: 200, body: { alert: alert({ id: '7', rule: 'RouteLoss', acknowledged: { by: 'alice', at: '2026-11-23T15:00:00.000Z' } }) } },
      { status: 201, body: { silence } },
      { status: 200, body: { ended: true } },
      { status: 201, body: { token: { id: 4, name: 'ci', role: 'viewer', createdAt: '2026-11-23T15:00:00.000Z', createdBy: 'alice', lastUsedAt: null }, secret: 's3cret' } },
      { status: 200, body: { revoked: true } },
      { status: 200, body: { redirect: null } },
    );
    const rest = new RestClient({ fetch });
    expect((await rest.acknowledgeAlert('7')).acknowledged).toEqual({ by: 'alice', at: '2026-11-23T15:00:00.000Z' });
    expect(await rest.createSilence({ rule: 'RouteLoss', labels: { node: 'n1' }, durationS: 3600, comment: 'c' })).toEqual(silence);
    expect(await rest.endSilence(3)).toEqual({ ended: true });
    expect((await rest.createApiToken('ci', 'viewer')).secret).toBe('s3cret');
    expect(await rest.revokeApiToken(4)).toEqual({ revoked: true });
    expect(await rest.logout()).toEqual({ redirect: null });
    expect(calls.map((c) => `${c.init?.method} ${c.url} ${c.init?.body ?? '-'} ${c.init?.headers?.['content-type'] ?? '-'}`)).toEqual([
      'POST /api/alerts/7/acknowledge - -',
      'POST /api/silences {"rule":"RouteLoss","labels":{"node":"n1"},"durationS":3600,"comment":"c"} application/json',
      'DELETE /api/silences/3 - -',
      'POST /api/admin/tokens {"name":"ci","role":"viewer"} application/json',
      'DELETE /api/admin/tokens/4 - -',
      'POST /api/auth/logout - -',
    ]);
  });

  it('GET /api/auth/me: as answered; an API from before viewer login (404) lets everyone read', async () => {
    const answered = { viewer: null, methods: { oidc: { issuer: 'https://idp' }, token: true }, canLogout: false };
    const { fetch } = fakeFetch({ status: 200, body: answered }, { status: 404, body: { statusCode: 404, message: 'Cannot GET /api/auth/me' } }, { status: 500, body: { message: 'boom' } });
    const rest = new RestClient({ fetch });
    expect(await rest.me()).toEqual(answered);
    expect(await rest.me()).toEqual(OPEN_API_ME);
    await expect(rest.me()).rejects.toMatchObject({ status: 500, message: 'boom' });
  });

  it('lists: tokens, settings, silences', async () => {
    const { fetch, calls } = fakeFetch({ status: 200, body: { tokens: [] } }, { status: 200, body: { settings: [{ name: 'HOST', value: '0.0.0.0' }] } }, { status: 200, body: { silences: [] } });
    const rest = new RestClient({ fetch, baseUrl: 'http://api:3000/' });
    expect(await rest.apiTokens()).toEqual([]);
    expect(await rest.settings()).toEqual([{ name: 'HOST', value: '0.0.0.0' }]);
    expect(await rest.silences()).toEqual([]);
    expect(calls.map((c) => `${c.init?.method} ${c.url}`)).toEqual(['GET http://api:3000/api/admin/tokens', 'GET http://api:3000/api/admin/settings', 'GET http://api:3000/api/silences']);
  });

  it('the path trace: now, at a moment, compared; the address history; a 404 keeps the parameter the API names', async () => {
    const { fetch, calls } = fakeFetch(
      { status: 200, body: { verdict: 'delivered' } },
      { status: 200, body: { verdict: 'failed' } },
      { status: 200, body: { changedAt: null } },
      { status: 200, body: { entries: [] } },
      { status: 404, body: { statusCode: 404, message: 'from: "x" is neither a node netatlas knows at that moment, nor an IP address, nor a pod (namespace/name)' } },
    );
    const rest = new RestClient({ fetch });
    await rest.trace({ from: '10.48.0.65', to: 'default/web' });
    await rest.trace({ from: 'node1', to: '10.48.0.129', at: new Date('2026-12-06T12:00:00Z') });
    await rest.traceCompare({ from: 'node1', to: '10.48.0.129', at1: '2026-12-06T11:00:00Z', at2: new Date('2026-12-06T12:00:00Z') });
    await rest.addressHistory('fd00:48::1', { from: new Date('2026-12-05T12:00:00Z'), to: new Date('2026-12-06T12:00:00Z') });
    await expect(rest.trace({ from: 'x', to: 'y' })).rejects.toMatchObject({ status: 404, kind: 'not-found', message: expect.stringMatching(/^from: /) });
    expect(calls.map((c) => c.url)).toEqual([
      '/api/trace?from=10.48.0.65&to=default%2Fweb',
      '/api/trace?from=node1&to=10.48.0.129&at=2026-12-06T12%3A00%3A00.000Z',
      '/api/trace/compare?from=node1&to=10.48.0.129&at1=2026-12-06T11%3A00%3A00Z&at2=2026-12-06T12%3A00%3A00.000Z',
      '/api/addresses/fd00%3A48%3A%3A1/history?from=2026-12-05T12%3A00%3A00.000Z&to=2026-12-06T12%3A00%3A00.000Z',
      '/api/trace?from=x&to=y',
    ]);
  });
});

describe('GET /api/topology/edges', () => {
  it('asks for the hosts as a comma list (each name encoded) and the moment; no hosts, no request', async () => {
    const answer = { at: null, hosts: ['node001', 'node002'], edges: [] };
    const { fetch, calls } = fakeFetch({ status: 200, body: answer }, { status: 200, body: answer }, { status: 200, body: answer });
    const rest = new RestClient({ fetch });
    expect(await rest.topologyEdges({ hosts: ['node001', 'node002'] })).toEqual(answer);
    await rest.topologyEdges({ hosts: ['a b', 'c,d'], at: new Date('2026-12-06T12:00:00Z') });
    await rest.topologyEdges({ hosts: ['node001'], at: '2026-12-06T11:00:00Z' }, new AbortController().signal);
    expect(await rest.topologyEdges({ hosts: [], at: '2026-12-06T11:00:00Z' })).toEqual({ at: '2026-12-06T11:00:00Z', hosts: [], edges: [] });
    expect(calls.map((c) => `${c.init?.method} ${c.url}`)).toEqual([
      'GET /api/topology/edges?hosts=node001,node002',
      'GET /api/topology/edges?hosts=a%20b,c%2Cd&at=2026-12-06T12%3A00%3A00.000Z',
      'GET /api/topology/edges?hosts=node001&at=2026-12-06T11%3A00%3A00Z',
    ]);
    expect(calls[2]!.init?.signal).toBeInstanceOf(AbortSignal);
  });
});
