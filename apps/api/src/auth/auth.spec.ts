// Viewers and roles against a running API on a real database: who gets in (API tokens, sessions,
// a trusted proxy, anonymous), what each role may do (403 naming the role), cookies that cannot
// be forged, replayed after logout or used from another site, and the refusal to listen beyond
// loopback with nobody to tell viewers apart.
import { io } from 'socket.io-client';
import { LIVE_NAMESPACE } from '@netatlas/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../settings.js';
import { ApiTokensRepository } from '../db/repositories/api-tokens.repository.js';
import { startTestApi, type TestApi } from '../testing/api.js';
import { withClient } from '../testing/postgres.js';
import { loadAuthConfig } from './auth-config.js';
import pg from 'pg';

const SECRET = 'auth-spec-session-secret-0123456789abcdef';

async function call(api: TestApi, path: string, init: { method?: string; token?: string; cookie?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token) headers['authorization'] = `Bearer ${init.token}`;
  if (init.cookie) headers['cookie'] = init.cookie;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${api.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), redirect: 'manual' });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics)
  }
  return { status: res.status, body: body as Record<string, unknown>, setCookie: res.headers.get('set-cookie') };
}

/** the `name=value` part of a Set-Cookie header */
const cookieOf = (setCookie: string | null) => setCookie!.split(';')[0]!;

function liveConnect(url: string, opts: { token?: string; cookie?: string } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = io(`${url}${LIVE_NAMESPACE}`, {
      reconnection: false,
      transports: ['websocket'],
      auth: opts.token ? { token: opts.token } : {},
      extraHeaders: opts.cookie ? { cookie: opts.cookie } : undefined,
    });
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', (e) => {
      socket.close();
      resolve(e.message);
    });
  });
}

describe('the configuration of viewers', () => {
  it('refuses to listen beyond loopback with nobody to tell viewers apart, and says what to set', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/HOST=0\.0\.0\.0 would let anyone.*NETATLAS_OIDC_ISSUER.*NETATLAS_TRUSTED_PROXIES.*NETATLAS_ANONYMOUS=off.*NETATLAS_ANONYMOUS=viewer/);
  });

  it('opens beyond loopback only when told so, and to the role it was told', () => {
    expect(loadConfig({ HOST: '0.0.0.0', NETATLAS_ANONYMOUS: 'viewer' }).auth.anonymous).toBe('viewer');
    expect(loadConfig({ HOST: '0.0.0.0', NETATLAS_ANONYMOUS: 'off' }).auth.anonymous).toBeNull();
    expect(loadConfig({ HOST: '0.0.0.0', NETATLAS_TRUSTED_PROXIES: '10.0.0.0/8' }).auth.anonymous).toBeNull();
  });

  it('keeps the embedded default open on loopback as admin, and closes it once sign-in is configured', () => {
    const open = loadConfig({});
    expect(open.auth.anonymous).toBe('admin');
    expect(open.auth.anonymousByDefault).toBe(true);
    const oidc = loadConfig({ NETATLAS_OIDC_ISSUER: 'https://id.example.com', NETATLAS_OIDC_CLIENT_ID: 'netatlas' });
    expect(oidc.auth.anonymous).toBeNull();
    expect(oidc.auth.oidc?.redirectUri).toBe('http://127.0.0.1:3000/api/auth/callback');
  });

  it('names each setting that is wrong', () => {
    expect(() => loadAuthConfig({ NETATLAS_ANONYMOUS: 'everyone' }, '127.0.0.1', 'http://x')).toThrow(/NETATLAS_ANONYMOUS must be one of off, viewer, operator, admin/);
    expect(() => loadAuthConfig({ NETATLAS_OIDC_ISSUER: 'https://id.example.com' }, '127.0.0.1', 'http://x')).toThrow(/go together/);
    expect(() => loadAuthConfig({ NETATLAS_TRUSTED_PROXIES: '10.0.0.300/8' }, '127.0.0.1', 'http://x')).toThrow(/NETATLAS_TRUSTED_PROXIES: "10\.0\.0\.300\/8"/);
    expect(() => loadAuthConfig({ NETATLAS_SESSION_SECRET: 'short' }, '127.0.0.1', 'http://x')).toThrow(/at least 32/);
  });
});

describe('viewers of an API that is closed to anonymous', () => {
  let api: TestApi;
  const secrets: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };
  let alertId = '';

  beforeAll(async () => {
    api = await startTestApi('auth_closed', {
      auth: { ...loadAuthConfig({ NETATLAS_ANONYMOUS: 'off', NETATLAS_SESSION_SECRET: SECRET, NETATLAS_TRUSTED_PROXIES: '127.0.0.1/32', NETATLAS_OPERATOR_GROUPS: 'netops', NETATLAS_VIEWER_GROUPS: 'netops,readers' }, '127.0.0.1', 'http://127.0.0.1') },
    });
    const pool = new pg.Pool({ connectionString: api.database.url, max: 1 });
    const tokens = new ApiTokensRepository(pool);
    for (const role of ['viewer', 'operator', 'admin'] as const) secrets[role] = (await tokens.create(`${role}-script`, role, 'spec')).secret;
    await pool.end();
    // an open alert to acknowledge and silence
    alertId = await withClient(api.database.url, async (c) => {
      const { rows } = await c.query<{ id: string }>(
        `INSERT INTO alerts (fingerprint, rule, severity, labels, summary, state, starts_at, fired_at)
         VALUES ('RouteLoss{node=n1,prefix=10.0.0.0/24}', 'RouteLoss', 'critical', '{"node":"n1","prefix":"10.0.0.0/24"}', 'n1 lost 10.0.0.0/24', 'firing', now(), now())
         RETURNING id::text`,
      );
      return rows[0]!.id;
    });
  }, 60_000);
  afterAll(() => api?.close());

  it('answers 401 with how to sign in, but keeps health and the sign-in page open', async () => {
    const nodes = await call(api, '/api/nodes');
    expect(nodes.status).toBe(401);
    expect(nodes.body['message']).toMatch(/sign in first.*\/api\/auth\/me.*Bearer/);
    expect((await call(api, '/api/state')).status).toBe(401);
    expect((await call(api, '/api/docs')).status).toBe(401);
    expect((await call(api, '/metrics')).status).toBe(401);
    expect((await call(api, '/api/health')).status).toBe(200);
    const me = await call(api, '/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ viewer: null, methods: { oidc: null, token: true }, canLogout: false });
    expect(await liveConnect(api.url)).toBe('unauthenticated');
  });

  it('lets each role do what it may and answers 403 naming the role for the rest', async () => {
    expect((await call(api, '/api/nodes', { token: secrets.viewer })).status).toBe(200);
    expect((await call(api, '/metrics', { token: secrets.viewer })).status).toBe(200);
    expect(await liveConnect(api.url, { token: secrets.viewer })).toBe('connected');

    const silence = { rule: 'RouteLoss', labels: { node: 'n1' }, durationS: 3600, comment: 'maintenance' };
    const denied = await call(api, '/api/silences', { method: 'POST', token: secrets.viewer, body: silence });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ message: 'needs role operator; you are viewer', needed: 'operator', role: 'viewer' });
    expect((await call(api, `/api/alerts/${alertId}/acknowledge`, { method: 'POST', token: secrets.viewer })).status).toBe(403);
    expect((await call(api, '/api/admin/tokens', { token: secrets.viewer })).status).toBe(403);
    const opAdmin = await call(api, '/api/admin/settings', { token: secrets.operator });
    expect(opAdmin.status).toBe(403);
    expect(opAdmin.body['message']).toBe('needs role admin; you are operator');

    const created = await call(api, '/api/silences', { method: 'POST', token: secrets.operator, body: silence });
    expect(created.status).toBe(201);
    expect(created.body['silence']).toMatchObject({ rule: 'RouteLoss', labels: { node: 'n1' }, createdBy: 'operator-script' });
    const acked = await call(api, `/api/alerts/${alertId}/acknowledge`, { method: 'POST', token: secrets.operator });
    expect(acked.status).toBe(201);
    expect(acked.body['alert']).toMatchObject({ id: alertId, acknowledged: { by: 'operator-script' }, silencedBy: (created.body['silence'] as { id: number }).id });
    const listed = await call(api, '/api/alerts', { token: secrets.viewer });
    expect((listed.body['alerts'] as Array<{ id: string; acknowledged: unknown }>).find((a) => a.id === alertId)?.acknowledged).toMatchObject({ by: 'operator-script' });

    const settings = await call(api, '/api/admin/settings', { token: secrets.admin });
    expect(settings.status).toBe(200);
    expect(JSON.stringify(settings.body)).not.toContain(SECRET);
  });

  it('refuses bad bodies with a 400 naming the field, and unknown ids with a 404', async () => {
    const bad = await call(api, '/api/silences', { method: 'POST', token: secrets.operator, body: { rule: null, labels: {}, durationS: 5, comment: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body['message']).toMatch(/durationS/);
    const everything = await call(api, '/api/silences', { method: 'POST', token: secrets.operator, body: { rule: null, labels: {}, durationS: 600, comment: '' } });
    expect(everything.status).toBe(400);
    expect(everything.body['message']).toMatch(/silence everything/);
    const badToken = await call(api, '/api/admin/tokens', { method: 'POST', token: secrets.admin, body: { name: 'x', role: 'root' } });
    expect(badToken.status).toBe(400);
    expect(badToken.body['message']).toMatch(/role/);
    expect((await call(api, '/api/alerts/abc/acknowledge', { method: 'POST', token: secrets.operator })).status).toBe(404);
    expect((await call(api, '/api/admin/tokens/999999', { method: 'DELETE', token: secrets.admin })).status).toBe(404);
  });

  it('creates and revokes tokens from the admin endpoints; a revoked token is refused at once', async () => {
    const made = await call(api, '/api/admin/tokens', { method: 'POST', token: secrets.admin, body: { name: 'grafana', role: 'viewer' } });
    expect(made.status).toBe(201);
    const secret = made.body['secret'] as string;
    expect(secret).toMatch(/^nat_/);
    expect((await call(api, '/api/nodes', { token: secret })).status).toBe(200);
    const list = await call(api, '/api/admin/tokens', { token: secrets.admin });
    expect(JSON.stringify(list.body)).not.toContain(secret);
    const id = (made.body['token'] as { id: number }).id;
    // a live socket opened with it, open when it is revoked
    const socket = io(`${api.url}${LIVE_NAMESPACE}`, { reconnection: false, transports: ['websocket'], auth: { token: secret } });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const dropped = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    expect((await call(api, `/api/admin/tokens/${id}`, { method: 'DELETE', token: secrets.admin })).status).toBe(200);
    expect(await dropped).toBe('io server disconnect');
    const gone = await call(api, '/api/nodes', { token: secret });
    expect(gone.status).toBe(401);
    expect(gone.body['message']).toMatch(/unknown or revoked/);
  });

  it('signs a browser in with a token: an http-only cookie that cannot be forged, is refused from another site and dies at logout', async () => {
    const wrong = await call(api, '/api/auth/token-login', { method: 'POST', body: { token: 'nat_nothing' } });
    expect(wrong.status).toBe(401);
    const login = await call(api, '/api/auth/token-login', { method: 'POST', body: { token: secrets.operator } });
    expect(login.status).toBe(200);
    expect(login.setCookie).toMatch(/^netatlas_session=.*; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    const cookie = cookieOf(login.setCookie);
    const me = await call(api, '/api/auth/me', { cookie });
    expect(me.body).toMatchObject({ viewer: { name: 'operator-script', role: 'operator', via: 'token' }, canLogout: true });
    expect((await call(api, '/api/nodes', { cookie })).status).toBe(200);
    expect(await liveConnect(api.url, { cookie })).toBe('connected');

    // a forged signature, another site's POST
    const forged = cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await call(api, '/api/nodes', { cookie: forged })).status).toBe(401);
    const crossSite = await call(api, '/api/silences', { method: 'POST', cookie, headers: { origin: 'https://evil.example' }, body: { rule: 'RouteLoss', labels: {}, durationS: 600, comment: '' } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body['message']).toMatch(/another site/);

    // a live socket of this session, open when it logs out
    const socket = io(`${api.url}${LIVE_NAMESPACE}`, { reconnection: false, transports: ['websocket'], extraHeaders: { cookie } });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const dropped = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));

    const out = await call(api, '/api/auth/logout', { method: 'POST', cookie });
    expect(await dropped).toBe('io server disconnect');
    expect(out.status).toBe(200);
    expect(out.setCookie).toMatch(/^netatlas_session=; .*Max-Age=0/);
    // the old cookie, replayed, is worth nothing
    expect((await call(api, '/api/nodes', { cookie })).status).toBe(401);
    expect(await liveConnect(api.url, { cookie })).toBe('unauthenticated');
  });

  it("believes a trusted proxy's user and groups, and nobody else's", async () => {
    const asOperator = await call(api, '/api/auth/me', { headers: { 'x-forwarded-user': 'olga', 'x-forwarded-groups': 'netops' } });
    expect(asOperator.body['viewer']).toEqual({ subject: 'proxy:olga', name: 'olga', role: 'operator', via: 'proxy' });
    expect((await call(api, '/api/nodes', { headers: { 'x-forwarded-user': 'rita', 'x-forwarded-groups': 'readers' } })).status).toBe(200);
    const outsider = await call(api, '/api/nodes', { headers: { 'x-forwarded-user': 'eve', 'x-forwarded-groups': 'guests' } });
    expect(outsider.status).toBe(403);
    expect(outsider.body['message']).toMatch(/eve is in none of the groups/);
  });
});

describe('a proxy that is not trusted', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('auth_untrusted', { auth: loadAuthConfig({ NETATLAS_ANONYMOUS: 'off', NETATLAS_TRUSTED_PROXIES: '10.0.0.0/8' }, '127.0.0.1', 'http://127.0.0.1') });
  }, 60_000);
  afterAll(() => api?.close());

  it('has its user header ignored', async () => {
    expect((await call(api, '/api/nodes', { headers: { 'x-forwarded-user': 'mallory', 'x-forwarded-groups': 'netadmins' } })).status).toBe(401);
  });
});
