// A token speaks for one node (issue 15, finding 2): a per-node token created with the CLI lets its
// collector in as that node and no other; a second socket with it cannot say hello as the victim,
// kick its collector or end its facts; a revoked token is refused. The shared token is an opt-in.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Fact } from '@netatlas/wire';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectorTokensRepository } from '../db/repositories/collector-tokens.repository.js';
import { connectIngest, FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { route } from '../testing/facts.js';
import { withClient } from '../testing/postgres.js';
import { setupOnce } from '../testing/setup.js';

const run = promisify(execFile);
const ROOT = new URL('../../../../', import.meta.url).pathname;

/** `npm run token -- …` against the test database: stdout, stderr and the exit code. */
async function tokenCli(url: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'apps/api/src/token-cli.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('collector identity', () => {
  let t: TestApi;
  const open: Array<{ close(): void }> = [];

  setupOnce(async () => {
    // no shared token: only per-node tokens get in
    t = await startTestApi('identity', { token: null });
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
  });

  const routesOf = async (node: string) => (await t.get<{ facts: Fact[] }>(`/api/nodes/${node}/facts?kind=route`)).body.facts.map((f) => (f.value as { dst: string }).dst).sort();

  it('the CLI creates a token shown once, stores only its hash, lists and revokes it, and names bad arguments', async () => {
    const created = await tokenCli(t.database.url, ['create', '--node', 'cli-node']);
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toMatch(/^nac_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/token \d+ for node cli-node: give it to that node's collector as NETATLAS_TOKEN/);
    const stored = await withClient(t.database.url, (c) => c.query<{ hash: string }>(`SELECT encode(token_hash, 'hex') AS hash FROM collector_tokens WHERE node = 'cli-node'`));
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]!.hash).not.toContain(created.stdout.trim());
    expect((await tokenCli(t.database.url, ['list', '--node', 'cli-node'])).stdout).toMatch(/^\s+\d+ {2}cli-node\s+created \S+Z\n$/);
    expect((await tokenCli(t.database.url, ['revoke', '--node', 'cli-node'])).stdout).toBe('1 token(s) revoked\n');
    expect((await tokenCli(t.database.url, ['list'])).stdout).toMatch(/cli-node .* revoked \S+Z/);
    const bad = await tokenCli(t.database.url, ['create', '--node', 'no/slashes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--node "no\/slashes" is not a node name/);
    const none = await tokenCli(t.database.url, ['revoke']);
    expect(none.stderr).toMatch(/revoke needs --id ID or --node NAME/);
  }, 60_000);

  it("a node's token lets its collector in as that node and no other", async () => {
    const repo = t.api.app.get(CollectorTokensRepository);
    const victim = (await repo.create('victim')).token;
    const attacker = (await repo.create('attacker')).token;

    const real = new FakeCollector(await connectIngest(t.url, victim), 'victim');
    open.push(real);
    expect(await real.hello()).toMatchObject({ ok: true });
    expect(await real.snapshot([route('10.1.0.0/24'), route('10.1.1.0/24')])).toMatchObject({ ok: true });

    // another node's token: a hello as the victim is forbidden, and nothing of the victim changes
    const imposter = new FakeCollector(await connectIngest(t.url, attacker), 'victim');
    open.push(imposter);
    const reply = (await imposter.hello()) as { ok: boolean; code: string; error: string };
    expect(reply).toMatchObject({ ok: false, code: 'forbidden', error: 'this token speaks for node attacker, not victim' });
    expect(await imposter.snapshot([])).toMatchObject({ ok: false, code: 'no-hello' });
    expect(await routesOf('victim')).toEqual(['10.1.0.0/24', '10.1.1.0/24']);
    // the real collector was not kicked: it streams on
    expect(real.socket.connected).toBe(true);
    expect(await real.delta([route('10.1.2.0/24')], [])).toMatchObject({ ok: true });

    // with no shared token configured, a made-up token is refused at the handshake
    await expect(connectIngest(t.url, 'nac_made-up-token-0123456789012345678901234567')).rejects.toThrow(/unauthorized: wrong token/);
    await expect(connectIngest(t.url, 'test-token-0123456789abcdef')).rejects.toThrow(/unauthorized: wrong token/);

    // revoked: refused from the next connection on
    expect(await repo.revoke({ node: 'attacker' })).toBe(1);
    await expect(connectIngest(t.url, attacker)).rejects.toThrow(/unauthorized: wrong token/);
  });
});
