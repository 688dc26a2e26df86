// The alert engine in the real API over the real Postgres: a BGP session that is not Established
// goes pending, then fires after its `for` with no change in between, evaluated on the last checks'
// findings rather than by running the checks again; a change runs them again and resolves it.
import { afterAll, describe, expect, it } from 'vitest';
import { defaultAlertConfig } from './alert-config.js';
import { AlertEngine } from './alert-engine.js';
import { FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { bgpSession as bgp } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';

const until = async <T>(what: string, get: () => Promise<T | undefined>, ms = 15_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('AlertEngine evaluations', () => {
  let t: TestApi;
  let collector: FakeCollector;

  setupOnce(async () => {
    const alerts = defaultAlertConfig();
    alerts.evalMs = 200;
    alerts.forMs.BgpSessionDown = 2000;
    t = await startTestApi('alertengine', { alerts });
    collector = await FakeCollector.connect(t.url, 'engine-a');
  });

  afterAll(async () => {
    collector?.close();
    await t?.close();
  });

  interface Alert {
    rule: string;
    state: string;
  }
  const alert = async (state: string) => {
    const { body } = await t.get<{ alerts: Alert[] }>('/api/alerts');
    return body.alerts.find((a) => a.rule === 'BgpSessionDown' && a.state === state);
  };

  it('fires a pending alert on the last findings, and checks again after a change', async () => {
    const engine = t.api.app.get(AlertEngine);
    expect(await collector.snapshot([bgp('172.20.0.99', 'active')])).toMatchObject({ ok: true });
    await until('a pending BgpSessionDown', () => alert('pending'));
    const atPending = { ...engine.evaluations };
    await until('the alert to fire', () => alert('firing'));
    // nothing changed between pending and firing: those evaluations reused the findings
    expect(engine.evaluations.reused).toBeGreaterThan(atPending.reused);
    expect(engine.evaluations.checked).toBe(atPending.checked);

    const beforeChange = { ...engine.evaluations };
    expect(await collector.delta([bgp('172.20.0.99', 'established')], [])).toMatchObject({ ok: true });
    await until('the alert to resolve', async () => ((await alert('firing')) ? undefined : true));
    expect(engine.evaluations.checked).toBeGreaterThan(beforeChange.checked);
  }, 30_000);
});
