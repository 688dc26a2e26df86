// Issue 19, point 3: a request the web UI makes cannot be a 400. Every method of the web app's REST
// client (apps/web/src/api/rest-client.ts, the one place it builds API URLs) is called the ways the
// views call it, through the real client against a running API, and every request must succeed:
// the reads with 200, the writes with 2xx. A method of the client this list does not know fails the
// test, and so does an `/api/…` URL written anywhere else in the web app's sources that no call here
// requested, so the walk cannot fall behind the UI.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultAlertConfig } from '../alerts/alert-config.js';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { bgpSession, route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const WEB_SRC = join(ROOT, 'apps/web/src');

interface Request {
  method: string;
  url: string;
  status: number;
}
// the client as this test drives it: methods by name (its types are the web app's, loaded at run time)
type Client = Record<string, (...args: unknown[]) => Promise<unknown>>;
type Call = (c: Client, ctx: Context) => Promise<unknown>;
interface Context {
  alertId: string;
  node: string;
  hourAgo: Date;
  /** after the nodes' snapshots, before their last change */
  snapshotted: Date;
  now: Date;
}

/**
 * The client's methods and how the views call them (grep `rest.` in apps/web/src): several calls
 * where the views pass different arguments. `loginUrl` builds a link the browser follows.
 */
const READS: Record<string, Call[]> = {
  me: [(c) => c.me!()],
  health: [(c) => c.health!()],
  kubernetesHealth: [(c) => c.kubernetesHealth!()],
  nodes: [(c) => c.nodes!()],
  nodeFacts: [(c, x) => c.nodeFacts!(x.node), (c, x) => c.nodeFacts!(x.node, { at: x.now }), (c, x) => c.nodeFacts!(x.node, { kind: ['route', 'link'], at: x.hourAgo })],
  state: [(c) => c.state!(), (c, x) => c.state!({ kind: ['bgpSession'], at: x.now }), (c, x) => c.state!({ kind: ['bgpSession'], at: x.hourAgo })],
  changes: [(c, x) => c.changes!({ from: x.hourAgo }), (c, x) => c.changes!({ from: x.hourAgo, to: x.now, node: x.node, kind: 'route', limit: 10 })],
  allChanges: [(c, x) => c.allChanges!({ from: x.hourAgo }), (c, x) => c.allChanges!({ from: x.hourAgo, to: x.now, kind: 'route' }, 20_000), (c, x) => c.allChanges!({ from: x.hourAgo, to: x.now, node: x.node }, 5000)],
  diff: [(c, x) => c.diff!({ from: x.hourAgo }), (c, x) => c.diff!({ from: x.hourAgo, to: x.now, node: x.node })],
  events: [(c) => c.events!(), (c, x) => c.events!({ from: x.hourAgo }), (c, x) => c.events!({ from: x.hourAgo, to: x.now, node: x.node })],
  topology: [(c) => c.topology!(), (c, x) => c.topology!({ at: x.hourAgo })],
  topologyEdges: [(c, x) => c.topologyEdges!({ hosts: [x.node] }), (c, x) => c.topologyEdges!({ hosts: [x.node, 'ui-b'], at: x.now })],
  alerts: [
    (c) => c.alerts!(),
    (c) => c.alerts!({ state: 'firing', limit: 10_000 }),
    (c) => c.alerts!({ state: 'pending', limit: 10_000 }),
    (c) => c.alerts!({ state: 'open' }),
    (c, x) => c.alerts!({ from: x.now, to: x.now }),
    (c, x) => c.alerts!({ from: x.hourAgo, to: x.now, rule: 'BgpSessionDown', node: x.node, limit: 50 }),
  ],
  // a trace starts on a node (or its pod or address) that exists then: an endpoint that does not is a 404 naming it
  trace: [(c, x) => c.trace!({ from: x.node, to: '10.77.2.5' }), (c, x) => c.trace!({ from: x.node, to: '10.77.1.1', at: x.now })],
  traceCompare: [(c, x) => c.traceCompare!({ from: x.node, to: '10.77.2.5', at1: x.snapshotted }), (c, x) => c.traceCompare!({ from: x.node, to: '10.77.3.5', at1: x.snapshotted, at2: x.now })],
  addressHistory: [(c) => c.addressHistory!('10.77.1.1'), (c, x) => c.addressHistory!('10.77.1.1', { from: x.hourAgo, to: x.now })],
  checks: [(c) => c.checks!(), (c, x) => c.checks!(x.hourAgo)],
  silences: [(c) => c.silences!()],
  apiTokens: [(c) => c.apiTokens!()],
  settings: [(c) => c.settings!()],
};

/** The writes, in an order that gives each what it needs (a token to sign in with and revoke, a silence to end). */
const WRITES: Array<[string, Call]> = [
  ['acknowledgeAlert', (c, x) => c.acknowledgeAlert!(x.alertId)],
  [
    'createSilence',
    async (c, x) => {
      const silence = (await c.createSilence!({ rule: 'BgpSessionDown', labels: { node: x.node }, durationS: 3600, comment: 'ui-links' })) as { id: number };
      return c.endSilence!(silence.id);
    },
  ],
  [
    'createApiToken',
    async (c) => {
      const created = (await c.createApiToken!('ui-links', 'viewer')) as { token: { id: number }; secret: string };
      await c.tokenLogin!(created.secret);
      await c.logout!();
      return c.revokeApiToken!(created.token.id);
    },
  ],
];
const WRITTEN_ALONG = ['endSilence', 'tokenLogin', 'logout', 'revokeApiToken'];
/** builds a URL and requests nothing: the browser follows it to the OpenID provider (only when OIDC is configured) */
const LINKS = ['loginUrl'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testing' ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** `/api/…` in string literals and templates of the web app's code (comments left out), up to the first `?` or `${`. */
function apiLiterals(): Array<{ file: string; path: string }> {
  const out: Array<{ file: string; path: string }> = [];
  for (const file of sources(WEB_SRC)) {
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(/['"`](\/api\/[^'"`?$\s]*)/g)) out.push({ file: relative(ROOT, file), path: m[1]! });
  }
  return out;
}

describe("the web UI's requests", () => {
  let t: TestApi;
  const collectors: FakeCollector[] = [];
  const ctx: Context = { alertId: '', node: 'ui-a', hourAgo: new Date(), snapshotted: new Date(), now: new Date() };
  let client: Client;
  let methods: string[];
  const requests: Request[] = [];

  setupOnce(async () => {
    const alerts = defaultAlertConfig();
    alerts.evalMs = 3600_000; // the alert this test acknowledges stays as written
    t = await startTestApi('uilinks', { alerts });
    const a = await FakeCollector.connect(t.url, 'ui-a');
    const b = await FakeCollector.connect(t.url, 'ui-b');
    collectors.push(a, b);
    expect(await a.snapshot([route('10.77.2.0/24', '172.20.0.12'), bgpSession('172.20.0.12', 'established')])).toMatchObject({ ok: true });
    expect(await b.snapshot([route('10.77.1.0/24', '172.20.0.11'), bgpSession('172.20.0.11', 'established')])).toMatchObject({ ok: true });
    await new Promise((r) => setTimeout(r, 20));
    ctx.snapshotted = new Date();
    await new Promise((r) => setTimeout(r, 20));
    expect(await a.delta([route('10.77.3.0/24', '172.20.0.12')], [])).toMatchObject({ ok: true });
    const db = new pg.Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO alerts (fingerprint, rule, severity, labels, summary, state, starts_at, fired_at)
         VALUES ('ui-links', 'BgpSessionDown', 'warning', '{"node":"ui-a","peer":"172.20.0.12"}', 'session down', 'firing', now() - interval '5 minutes', now()) RETURNING id::text`,
      );
      ctx.alertId = rows[0]!.id;
    } finally {
      await db.end();
    }
    ctx.now = new Date();
    ctx.hourAgo = new Date(ctx.now.getTime() - 3600_000);

    // the web app's own client, loaded by path (Nx keeps apps from importing one another; this
    // test checks the API against what the UI sends, without the API depending on the UI's code)
    const web = (await import(/* @vite-ignore */ pathToFileURL(join(WEB_SRC, 'api/rest-client.ts')).href)) as {
      RestClient: new (options: { baseUrl: string; fetch: (input: string, init?: RequestInit) => Promise<Response> }) => Client;
    };
    const recording = async (input: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      // the browser sends its Origin on unsafe requests, and the session cookie a token sign-in set
      const headers = { ...(init.headers as Record<string, string>), ...(method === 'GET' ? {} : { origin: t.url }) };
      const res = await fetch(input, { ...init, headers });
      requests.push({ method, url: input.slice(t.url.length), status: res.status });
      return res;
    };
    client = new web.RestClient({ baseUrl: t.url, fetch: recording });
    methods = Object.getOwnPropertyNames(web.RestClient.prototype).filter((m) => m !== 'constructor' && m !== 'get' && m !== 'request');
  });

  afterAll(async () => {
    for (const c of collectors) c.close();
    await t?.close();
  });

  it('knows every method of the client', () => {
    const known = [...Object.keys(READS), ...WRITES.map(([m]) => m), ...WRITTEN_ALONG, ...LINKS];
    expect(methods.filter((m) => !known.includes(m)), 'a new RestClient method: add how the views call it here').toEqual([]);
    expect(known.filter((m) => !methods.includes(m)), 'gone from RestClient').toEqual([]);
  });

  it('every read the views make answers 200', async () => {
    for (const [method, calls] of Object.entries(READS)) {
      for (const call of calls) {
        const from = requests.length;
        await call(client, ctx).catch((error: unknown) => {
          throw new Error(`${method}: ${(error as Error).message}`, { cause: error });
        });
        const made = requests.slice(from);
        expect(made.length, `${method} made no request`).toBeGreaterThan(0);
        for (const r of made) expect(r, `${method}: ${r.method} ${r.url}`).toMatchObject({ method: 'GET', status: 200 });
      }
    }
    // the window defaults and state=open among them, as the issue found them refused
    expect(requests.map((r) => r.url)).toEqual(expect.arrayContaining(['/api/events', '/api/alerts', '/api/alerts?state=open']));
  });

  it('every write the views make succeeds', async () => {
    for (const [method, call] of WRITES) {
      const from = requests.length;
      await call(client, ctx).catch((error: unknown) => {
        throw new Error(`${method}: ${(error as Error).message}`, { cause: error });
      });
      for (const r of requests.slice(from)) expect(r.status, `${method}: ${r.method} ${r.url}`).toBeGreaterThanOrEqual(200);
      for (const r of requests.slice(from)) expect(r.status, `${method}: ${r.method} ${r.url}`).toBeLessThan(300);
    }
    const written = requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url.replace(/\/\d+(\/|$)/, '/:id$1')}`);
    expect(written).toEqual([
      'POST /api/alerts/:id/acknowledge',
      'POST /api/silences',
      'DELETE /api/silences/:id',
      'POST /api/admin/tokens',
      'POST /api/auth/token-login',
      'POST /api/auth/logout',
      'DELETE /api/admin/tokens/:id',
    ]);
  });

  it("every /api/ URL in the web app's code is one of them", () => {
    expect(requests.length).toBeGreaterThan(30);
    const literals = apiLiterals();
    expect(literals.length).toBeGreaterThan(20);
    const requested = [...requests.map((r) => r.url), (client.loginUrl as unknown as (hash: string) => string)('#/topology')].map((u) => u.replace(t.url, ''));
    const unwalked = literals.filter((l) => !requested.some((u) => u.startsWith(l.path)));
    expect(unwalked, 'an /api/ URL the views use that no call here makes: add the call').toEqual([]);
  });
});
