// Test tiers (issue 17): every spec file is in one of three, found from what it uses.
//   unit — no Postgres, no root, no browser: `nx test <project>` runs these, in seconds;
//   db   — a real Postgres (the API's repositories, services and HTTP/socket.io tests): `nx test-db <project>`;
//   e2e  — the lab (network namespaces, BGP daemons: root), a real browser, or a whole build:
//          `nx test-e2e <project>`.
// `npm test` (the root `vitest run`, what CI runs) runs all three, as before: NETATLAS_TEST_TIER is
// unset there. A file says its tier itself with a line `// test tier: db` (or e2e) where what it
// uses does not show in its imports; otherwise the markers below decide.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_TIERS = ['unit', 'db', 'e2e'] as const;
export type TestTier = (typeof TEST_TIERS)[number];

const DECLARED = /^\/\/ test tier: (unit|db|e2e)\b/m;
/** the lab's harness, the alert lab, a browser */
const E2E = /@netatlas\/lab-testing|testing\/lab-cli\.js|testing\/alert-lab\.js|findChromium|chromium/;
/** a test database, or the whole API on one */
const DB = /testing\/postgres\.js|testing\/api\.js|createTestDatabase|from 'pg'/;

/** The tier of a spec file from its source (and path: anything under an `e2e/` folder is e2e). */
export function tierOf(source: string, path: string): TestTier {
  const declared = DECLARED.exec(source);
  if (declared) return declared[1] as TestTier;
  if (/(^|\/)e2e\//.test(path) || E2E.test(source)) return 'e2e';
  if (DB.test(source)) return 'db';
  return 'unit';
}

/** The tier asked for by NETATLAS_TEST_TIER (unset: all of them). */
export function askedTier(env: Record<string, string | undefined> = process.env): TestTier | null {
  const raw = env['NETATLAS_TEST_TIER'];
  if (!raw) return null;
  if (!(TEST_TIERS as readonly string[]).includes(raw)) throw new Error(`NETATLAS_TEST_TIER must be one of ${TEST_TIERS.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as TestTier;
}

function specsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...specsUnder(path));
    else if (entry.name.endsWith('.spec.ts')) out.push(path);
  }
  return out;
}

/** A project's spec files (under `src/`, relative to its folder) of `tier`. */
function projectSpecs(project: string, keep: (tier: TestTier) => boolean): string[] {
  return specsUnder(join(project, 'src'))
    .filter((path) => keep(tierOf(readFileSync(path, 'utf8'), relative(project, path))))
    .map((path) => relative(project, path));
}

/**
 * For a project's `exclude`: its spec files (under `src/`, relative to the project's folder) that
 * are not of the asked tier; none when no tier is asked.
 */
export function otherTiers(projectConfigUrl: string, env: Record<string, string | undefined> = process.env): string[] {
  const tier = askedTier(env);
  if (!tier) return [];
  return projectSpecs(fileURLToPath(new URL('.', projectConfigUrl)), (t) => t !== tier);
}

/**
 * The root run (npm test, CI) gives the e2e specs of every project a lane of their own (the root
 * vitest.config.ts sets NETATLAS_E2E_LANE=1): one file at a time there, as the lab, its root
 * privileges and the browser need, while the unit and db specs run beside it. Vitest's default on
 * two cores is a single worker, and the whole suite ran one file at a time (23 min).
 */
export const E2E_LANE_ENV = 'NETATLAS_E2E_LANE';

/** For a project's `exclude`: the other tiers' specs when a tier is asked, else its e2e specs when they run in the lane. */
export function excludedSpecs(projectConfigUrl: string, env: Record<string, string | undefined> = process.env): string[] {
  if (askedTier(env) !== null) return otherTiers(projectConfigUrl, env);
  if (env[E2E_LANE_ENV] !== '1') return [];
  return projectSpecs(fileURLToPath(new URL('.', projectConfigUrl)), (t) => t === 'e2e');
}

/** Every project's e2e spec files, relative to the repository's root (for the lane's `include`). */
export function e2eSpecsOf(root: string, projectDirs: readonly string[]): string[] {
  return projectDirs.flatMap((dir) => projectSpecs(join(root, dir), (t) => t === 'e2e').map((path) => join(dir, path)));
}
