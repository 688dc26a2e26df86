// On Kubernetes a collector proves its node with its projected service-account token (issue 15,
// finding 2): the real API asks the (harness) Kubernetes API for a TokenReview and reads the pod
// the token is bound to. The collector speaks for that pod's node and no other; tokens of another
// service account, another audience, an expired one or one whose pod was replaced are refused.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectIngest, FakeCollector, startTestApi, type TestApi } from '../testing/api.js';
import { KubeApiServer, testNode, testPod } from '../testing/kube-api-server.js';
import { route } from '../testing/facts.js';
import { setupOnce } from '../testing/setup.js';

describe('collector identity by TokenReview', () => {
  let dir: string;
  let server: KubeApiServer;
  let t: TestApi;
  const open: Array<{ close(): void }> = [];
  const uids: Record<string, string> = {};

  setupOnce(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netatlas-tokenreview-'));
    server = await KubeApiServer.start();
    for (const [pod, node] of [
      ['netatlas-collector-aaaaa', 'node-a'],
      ['netatlas-collector-bbbbb', 'node-b'],
    ] as const) {
      server.add('nodes', testNode(node));
      uids[pod] = server.add('pods', testPod('netatlas', pod, { node })).metadata.uid!;
    }
    const kubeconfig = await server.writeKubeconfig(dir);
    // no shared token: service-account tokens only
    t = await startTestApi('tokenreview', { kubernetes: 'kubeconfig', kubeconfig, token: null });
  });

  afterAll(async () => {
    for (const s of open) s.close();
    await t?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const tokenFor = (pod: string, over: Partial<{ serviceAccount: string; audiences: string[]; podUid: string; namespace: string }> = {}) =>
    server.issueToken({ namespace: 'netatlas', serviceAccount: 'netatlas-collector', pod, podUid: uids[pod] ?? 'none', audiences: ['netatlas'], ...over });

  it("a collector's token speaks for its pod's node and no other", async () => {
    const token = tokenFor('netatlas-collector-aaaaa');
    const c = new FakeCollector(await connectIngest(t.url, token), 'node-a');
    open.push(c);
    expect(await c.hello()).toMatchObject({ ok: true });
    expect(await c.snapshot([route('10.1.0.0/24')])).toMatchObject({ ok: true });
    const reviews = server.requests.filter((r) => r.path === '/apis/authentication.k8s.io/v1/tokenreviews');
    expect(reviews.length).toBe(1);
    expect(server.requests.some((r) => r.path === '/api/v1/namespaces/netatlas/pods/netatlas-collector-aaaaa')).toBe(true);

    const imposter = new FakeCollector(await connectIngest(t.url, token), 'node-b');
    open.push(imposter);
    expect(await imposter.hello()).toMatchObject({ ok: false, code: 'forbidden', error: 'this token speaks for node node-a, not node-b' });
    // the second connection with the same token was answered from the cache: one review in all
    expect(server.requests.filter((r) => r.path === '/apis/authentication.k8s.io/v1/tokenreviews').length).toBe(1);
  });

  it('refuses tokens of another service account, another audience, expired ones and those of a replaced pod', async () => {
    const refused = [
      tokenFor('netatlas-collector-bbbbb', { serviceAccount: 'default' }),
      tokenFor('netatlas-collector-bbbbb', { audiences: ['https://kubernetes.default.svc'] }),
      tokenFor('netatlas-collector-bbbbb', { podUid: 'an-older-pod-of-the-same-name' }),
      tokenFor('netatlas-collector-ccccc'),
    ];
    const expired = tokenFor('netatlas-collector-bbbbb');
    server.expireToken(expired);
    refused.push(expired);
    for (const token of refused) await expect(connectIngest(t.url, token)).rejects.toThrow(/unauthorized: wrong token/);
    // and a good one for node-b gets in
    const c = new FakeCollector(await connectIngest(t.url, tokenFor('netatlas-collector-bbbbb')), 'node-b');
    open.push(c);
    expect(await c.hello()).toMatchObject({ ok: true });
  });
});
