// Signing in for real: Chromium, the built web app, the API on Postgres and a real OpenID provider
// (node-oidc-provider, testing/oidc-provider.ts). The browser goes through the provider's login and
// consent pages and back (authorization code with PKCE); then each role meets the server's answer:
// a viewer cannot open the admin page or call an operator endpoint (403), an operator acknowledges
// an alert, an admin creates and revokes an API token; logout ends the session at the API and at
// the provider, and the old cookie is worth nothing after.
import { inCI } from '@netatlas/lab-testing';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../settings.js';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { CHROMIUM, launchBrowser, SHOTS, WEB_DIR } from '../testing/browser.js';
import { oidcEnv, startOidcProvider, type TestOidcProvider } from '../testing/oidc-provider.js';
import { withClient } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';

const missing = [
  ...(existsSync(CHROMIUM) ? [] : [`chromium at ${CHROMIUM} (Debian package chromium)`]),
  ...(existsSync(`${WEB_DIR}/index.html`) ? [] : [`the built web app in ${WEB_DIR} (npx nx build web)`]),
];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.skipIf(missing.length > 0 && !inCI)('signing in through OpenID Connect in Chromium', { timeout: 60_000 }, () => {
  let t: TestApi;
  let provider: TestOidcProvider;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let alertId = '';

  setupOnce(async () => {
    if (missing.length > 0) throw new Error(`this test needs ${missing.join(', ')}`);
    const port = await freePort();
    const external = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider([external]);
    // a real alert to act on: a collector that says hello, sends its state and goes silent
    const alertsEnv = { NETATLAS_ALERT_FOR: 'CollectorLost=0s', NETATLAS_ALERT_EVAL_MS: '200', NETATLAS_HEARTBEAT_S: '1', NETATLAS_LOST_AFTER_S: '2' };
    const config = loadConfig({ ...oidcEnv(provider.issuer), ...alertsEnv, PORT: String(port), NETATLAS_EXTERNAL_URL: external, NETATLAS_SESSION_SECRET: 'login-browser-spec-session-secret-0123456789' });
    t = await startTestApi('login_browser', { port, webDir: WEB_DIR, auth: config.auth, notify: config.notify, alerts: config.alerts, heartbeatMs: config.heartbeatMs, lostAfterMs: config.lostAfterMs });
    const collector = await FakeCollector.connect(t.url, 'n7');
    await collector.snapshot([]);
    collector.socket.close();
    const firing = () => withClient(t.database.url, async (c) => (await c.query<{ id: string }>(`SELECT id::text FROM alerts WHERE rule = 'CollectorLost' AND state = 'firing'`)).rows[0]?.id ?? '');
    for (const deadline = Date.now() + 30_000; !(alertId = await firing()); ) {
      if (Date.now() > deadline) throw new Error('CollectorLost did not fire within 30 s of the collector going silent');
      await new Promise((r) => setTimeout(r, 250));
    }
    ({ browser, page } = await launchBrowser());
    context = page.context();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await provider?.close();
  });

  /** From the sign-in screen through the provider's login and consent pages, back to the app as `login`. */
  async function signIn(login: string, hash = '#/alerts'): Promise<void> {
    await page.goto(`${t.url}/${hash}`);
    await page.getByTestId('sign-in-oidc').click();
    await page.waitForURL((u) => u.href.startsWith(provider.issuer));
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any password');
    await page.locator('button[type=submit]').click();
    // the consent page, the first time this user meets this client
    await page.waitForURL((u) => u.href.startsWith(t.url) || /interaction/.test(u.pathname));
    if (!page.url().startsWith(t.url)) await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => u.href.startsWith(t.url));
    await expect.poll(() => page.getByTestId('viewer').count(), { timeout: 15_000 }).toBe(1);
  }

  async function signOut(): Promise<void> {
    await page.getByTestId('sign-out').click();
    // the provider asks whether to end its session too
    await page.waitForURL((u) => u.href.startsWith(provider.issuer));
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((u) => u.href.startsWith(t.url));
    await expect.poll(() => page.getByTestId('sign-in').count(), { timeout: 15_000 }).toBe(1);
  }

  /** a request from the page itself, with its cookie: the status the API answers */
  const fromPage = (path: string, method = 'GET', body?: unknown) =>
    page.evaluate(
      async ([p, m, b]) => (await fetch(p as string, { method: m as string, headers: b ? { 'content-type': 'application/json' } : {}, body: b ? JSON.stringify(b) : undefined })).status,
      [path, method, body] as const,
    );

  it('shows the sign-in screen to nobody, and the API answers it 401', async () => {
    await page.goto(`${t.url}/#/topology`);
    await expect.poll(() => page.getByTestId('sign-in').count(), { timeout: 15_000 }).toBe(1);
    expect(await fromPage('/api/nodes')).toBe(401);
    await page.screenshot({ path: `${SHOTS}/sign-in.png` });
  });

  it('a viewer signs in at the provider and comes back to the view it asked for, as viewer', async () => {
    await signIn('alice', '#/alerts');
    expect(page.url()).toBe(`${t.url}/#/alerts`);
    const viewer = page.getByTestId('viewer');
    expect(await viewer.getAttribute('data-role')).toBe('viewer');
    expect(await viewer.textContent()).toContain('Alice');
    const cookies = await context.cookies(t.url);
    const session = cookies.find((c) => c.name === 'netatlas_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.evaluate('document.cookie')).not.toContain('netatlas_session');
  });

  it('a viewer cannot open the admin page or call operator endpoints: the API answers 403', async () => {
    expect(await page.getByTestId('tab-admin').count()).toBe(0);
    await expect.poll(() => page.getByTestId('alert-row').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId(`ack-${alertId}`).count()).toBe(0);
    await page.goto(`${t.url}/#/admin`);
    await expect.poll(() => page.getByTestId('forbidden').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('forbidden').first().textContent()).toMatch(/needs the admin role; you are viewer/i);
    await page.screenshot({ path: `${SHOTS}/admin-forbidden.png` });
    expect(await fromPage('/api/admin/tokens')).toBe(403);
    expect(await fromPage(`/api/alerts/${alertId}/acknowledge`, 'POST')).toBe(403);
    expect(await fromPage('/api/silences', 'POST', { rule: 'CollectorLost', labels: { node: 'n7' }, durationS: 3600, comment: '' })).toBe(403);
    expect(await fromPage('/api/nodes')).toBe(200);
  });

  it('logout ends the session at the API and at the provider; the old cookie is refused after', async () => {
    const before = (await context.cookies(t.url)).find((c) => c.name === 'netatlas_session')!;
    await signOut();
    expect(await fromPage('/api/nodes')).toBe(401);
    // replaying the cookie from before the logout
    const replay = await fetch(`${t.url}/api/nodes`, { headers: { cookie: `netatlas_session=${before.value}` } });
    expect(replay.status).toBe(401);
  });

  it('an operator acknowledges an alert from the alerts view', async () => {
    await signIn('olga', '#/alerts');
    expect(await page.getByTestId('viewer').getAttribute('data-role')).toBe('operator');
    const ack = page.getByTestId(`ack-${alertId}`);
    await expect.poll(() => ack.count(), { timeout: 15_000 }).toBe(1);
    await ack.click();
    await expect.poll(() => page.getByTestId('alert-acknowledged').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('alert-acknowledged').first().textContent()).toContain('Olga');
    const { rows } = await withClient(t.database.url, (c) => c.query<{ acknowledged_by: string }>(`SELECT acknowledged_by FROM alerts WHERE id = $1`, [alertId]));
    expect(rows[0]!.acknowledged_by).toBe('Olga');
    expect(await fromPage('/api/admin/tokens')).toBe(403);
    await signOut();
  });

  it('an admin creates an API token on the admin page (shown once) and revokes it', async () => {
    await signIn('adam', '#/admin');
    expect(await page.getByTestId('viewer').getAttribute('data-role')).toBe('admin');
    await expect.poll(() => page.getByTestId('settings').count(), { timeout: 15_000 }).toBe(1);
    await page.getByTestId('new-token-name').fill('grafana');
    await page.getByTestId('new-token-role').selectOption('viewer');
    await page.getByTestId('create-token').click();
    const secretBox = page.getByTestId('new-token-secret');
    await expect.poll(() => secretBox.count(), { timeout: 15_000 }).toBe(1);
    const secret = (await secretBox.textContent())!.trim();
    expect(secret).toMatch(/^nat_/);
    await page.screenshot({ path: `${SHOTS}/admin.png` });
    expect((await fetch(`${t.url}/api/nodes`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    await page.getByTestId('revoke-grafana').click();
    await expect.poll(async () => (await fetch(`${t.url}/api/nodes`, { headers: { authorization: `Bearer ${secret}` } })).status, { timeout: 15_000 }).toBe(401);
  });
});
