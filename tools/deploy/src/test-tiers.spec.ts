// The test tiers (vitest.tiers.ts): how a spec's tier is found, and that every project has its three
// Nx targets, each running one tier, while the root `vitest run` (npm test, CI) runs them all.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readRepoFile, repoPath } from './repo.js';

// the root's own module (no project holds it), loaded by its path
type Env = Record<string, string | undefined>;
const { askedTier, otherTiers, tierOf, excludedSpecs, e2eSpecsOf } = (await import(repoPath('vitest.tiers.ts'))) as {
  askedTier(env: Env): string | null;
  otherTiers(projectConfigUrl: string, env: Env): string[];
  tierOf(source: string, path: string): string;
  excludedSpecs(projectConfigUrl: string, env: Env): string[];
  e2eSpecsOf(root: string, projectDirs: readonly string[]): string[];
};

describe('test tiers', () => {
  it('finds a spec’s tier from what it uses, a declared tier first', () => {
    expect(tierOf(`import { describe } from 'vitest';\nimport { parseRoutes } from './routes.js';`, 'src/routes.spec.ts')).toBe('unit');
    expect(tierOf(`import { createTestDatabase } from '../testing/postgres.js';`, 'src/history/x.spec.ts')).toBe('db');
    expect(tierOf(`import pg from 'pg';`, 'src/x.spec.ts')).toBe('db');
    expect(tierOf(`import { inCI, lab } from '@netatlas/lab-testing';`, 'src/collector-lab.spec.ts')).toBe('e2e');
    expect(tierOf(`import { startTestApi } from '../testing/api.js';`, 'src/e2e/browser.spec.ts')).toBe('e2e');
    expect(tierOf(`// test tier: e2e (a whole build)\nimport pg from 'pg';`, 'src/build-steps.spec.ts')).toBe('e2e');
    // a mention in the middle of a line is not a declaration
    expect(tierOf(`const note = 'see // test tier: e2e';`, 'src/x.spec.ts')).toBe('unit');
  });

  it('reads the tier asked for from NETATLAS_TEST_TIER and refuses an unknown one', () => {
    expect(askedTier({})).toBeNull();
    expect(askedTier({ NETATLAS_TEST_TIER: 'db' })).toBe('db');
    expect(() => askedTier({ NETATLAS_TEST_TIER: 'integration' })).toThrow('NETATLAS_TEST_TIER must be one of unit, db, e2e');
  });

  it('leaves out the other tiers’ specs of a project, and none when no tier is asked', () => {
    const api = new URL('../../../apps/api/vitest.config.ts', import.meta.url).href;
    expect(otherTiers(api, {})).toEqual([]);
    const notUnit = otherTiers(api, { NETATLAS_TEST_TIER: 'unit' });
    const notDb = otherTiers(api, { NETATLAS_TEST_TIER: 'db' });
    expect(notUnit).toContain('src/e2e/browser.spec.ts');
    expect(notUnit).toContain('src/ingest/snapshot-parts.spec.ts');
    expect(notUnit).not.toContain('src/realtime/limiter.spec.ts');
    expect(notDb).toContain('src/realtime/limiter.spec.ts');
    expect(notDb).not.toContain('src/ingest/snapshot-parts.spec.ts');
  });

  it('in the root run, the e2e lane and the projects hold every spec once: the e2e ones in the lane, the rest in their projects', () => {
    const projects = ['apps', 'libs', 'tools'].flatMap((group) =>
      readdirSync(repoPath(group), { withFileTypes: true })
        .filter((d) => d.isDirectory() && readdirSync(repoPath(group, d.name)).includes('vitest.config.ts'))
        .map((d) => `${group}/${d.name}`),
    );
    const specsOf = (dir: string): string[] =>
      readdirSync(repoPath(dir, 'src'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.spec.ts'))
        .map((f) => `src/${f}`);
    const lane = new Set(e2eSpecsOf(repoPath('.'), projects));
    expect(lane).toContain('apps/api/src/e2e/browser.spec.ts');
    expect(lane).toContain('tools/lab/src/lab.spec.ts');
    for (const dir of projects) {
      const url = new URL(`file://${repoPath(dir, 'vitest.config.ts')}`).href;
      const left = new Set(excludedSpecs(url, { NETATLAS_E2E_LANE: '1' }));
      expect(excludedSpecs(url, {}), `${dir}: no lane, nothing left out`).toEqual([]);
      for (const spec of specsOf(dir)) {
        const inLane = lane.has(`${dir}/${spec}`);
        expect(inLane, `${dir}/${spec}: in the lane exactly when its project leaves it out`).toBe(left.has(spec));
        expect(inLane, `${dir}/${spec}: in the lane exactly when it is e2e`).toBe(tierOf(readFileSync(repoPath(dir, spec), 'utf8'), spec) === 'e2e');
      }
    }
    // a tier asked: no lane, the project runs that tier as before
    const api = new URL(`file://${repoPath('apps/api', 'vitest.config.ts')}`).href;
    expect(excludedSpecs(api, { NETATLAS_E2E_LANE: '1', NETATLAS_TEST_TIER: 'e2e' })).toEqual(otherTiers(api, { NETATLAS_TEST_TIER: 'e2e' }));
  });

  it('gives every project with specs the targets test (unit), test-db and test-e2e', () => {
    const projects = ['apps', 'libs', 'tools'].flatMap((group) =>
      readdirSync(repoPath(group), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => `${group}/${d.name}`)
        .filter((dir) => readdirSync(repoPath(dir)).includes('vitest.config.ts')),
    );
    expect(projects.length).toBeGreaterThanOrEqual(10);
    for (const dir of projects) {
      expect(readFileSync(repoPath(dir, 'vitest.config.ts'), 'utf8'), dir).toContain('excludedSpecs(import.meta.url)');
      const targets = (JSON.parse(readRepoFile(dir, 'project.json')) as { targets: Record<string, { options?: { command?: string; env?: Record<string, string> } }> }).targets;
      for (const [target, tier] of [['test', 'unit'], ['test-db', 'db'], ['test-e2e', 'e2e']] as const) {
        expect(targets[target]?.options?.env?.['NETATLAS_TEST_TIER'], `${dir} ${target}`).toBe(tier);
        expect(targets[target]?.options?.command, `${dir} ${target}`).toMatch(/^vitest run/);
      }
    }
    // npm test runs every tier: the root config sets none
    expect(readRepoFile('package.json')).toMatch(/"test": "vitest run"/);
    expect(readRepoFile('vitest.config.ts')).not.toContain('NETATLAS_TEST_TIER');
  });
});
