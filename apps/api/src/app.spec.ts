import { afterAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/api.js';
import { setupOnce } from './testing/setup.js';

describe('api over HTTP', () => {
  let t: TestApi;

  setupOnce(async () => {
    t = await startTestApi('app');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('GET /api/health answers ok with the version and the database', async () => {
    const response = await fetch(`${t.url}/api/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { database: { latencyMs: number } };
    expect(body).toMatchObject({ status: 'ok', version: 'test', database: { ok: true, embedded: false, error: null } });
    expect(body.database.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('answers 404 outside the /api prefix', async () => {
    const response = await fetch(`${t.url}/health`);
    expect(response.status).toBe(404);
  });

  it('listens on loopback only by default', () => {
    expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await t.get<{ openapi: string; paths: Record<string, { get: { parameters: Array<{ name: string; required: boolean }> } }> }>(
      '/api/docs/openapi.json',
    );
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const path of ['/api/nodes', '/api/nodes/{name}/facts', '/api/state', '/api/changes', '/api/diff', '/api/events', '/api/topology', '/api/checks', '/api/alerts']) {
      expect(doc.body.paths, path).toHaveProperty([path]);
    }
    const changes = doc.body.paths['/api/changes']!.get.parameters;
    // a window's start defaults to 24 hours before its end (query-params/window-defaults.spec.ts)
    expect(changes.find((p) => p.name === 'from')).toMatchObject({ required: false });
    expect(changes.find((p) => p.name === 'kind')).toMatchObject({ required: false });
    // the answers' shapes, from libs/wire's response schemas (docs/openapi.spec.ts, docs/responses.spec.ts)
    expect(doc.body.paths['/api/changes']!.get).toMatchObject({
      responses: { '200': { content: { 'application/json': { schema: { type: 'object', required: ['from', 'to', 'changes', 'next'], additionalProperties: false } } } } },
    });
    const page = await fetch(`${t.url}/api/docs`);
    expect(await page.text()).toContain('swagger-ui-bundle.js');
    const asset = await fetch(`${t.url}/api/docs/assets/swagger-ui-bundle.js`);
    expect(asset.status).toBe(200);
  });

  it.each([
    ['/api/diff', 'from: '],
    ['/api/changes?from=yesterday', 'from: must be an ISO 8601'],
    ['/api/diff?from=2026-11-23T00:00:00Z&bogus=1', 'unknown parameter(s): bogus'],
    ['/api/state?kind=route,nope', 'kind: '],
    ['/api/changes?from=2026-11-23T00:00:00Z&limit=0', 'limit: '],
    ['/api/changes?from=2026-11-23T00:00:00Z&after=xyz', 'after: not a cursor'],
    ['/api/topology?at=2026-13-45T00:00:00Z', 'at: '],
    ['/api/alerts?state=burning', 'state: '],
    ['/api/alerts?rule=Nope', 'rule: '],
    ['/api/checks?at=soon', 'at: '],
  ])('GET %s is a 400 that names the problem', async (path, message) => {
    const response = await t.get<{ message: string; statusCode: number }>(path);
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
  });

  it('GET /api/nodes/:name/facts of an unknown node is a 404', async () => {
    const response = await t.get<{ message: string }>('/api/nodes/nosuchnode/facts');
    expect(response.status).toBe(404);
    expect(response.body.message).toContain('nosuchnode');
  });
});
