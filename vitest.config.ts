import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { workspaceAliases } from './vitest.aliases.js';
import { SOLO_SPECS } from './apps/api/vitest.solo.config.js';
import { askedTier, E2E_LANE_ENV, e2eSpecsOf } from './vitest.tiers.js';

// One runner for the whole repo: `npm test` (= `vitest run`) runs every project's suite once.
// Each project's own config sets its name, include globs and environment; `nx test <project>`
// runs that config alone.
//
// The e2e lane: every project's e2e specs (the lab's namespaces and BGP daemons, root, a browser, a
// whole build) run in a project of their own, one file at a time, as they need, and the unit and db
// specs in their projects beside it, on vitest's default number of workers (the cores less one).
// On this 2-core machine that is one worker, as before: two workers were tried (2026-12-06) and
// the suite took as long (1418 s against 1384 s, the e2e files are ~90 % of it and ran slower beside
// the others), with specs that time the machine failing more often; on more cores the unit and db
// specs share the other workers while the e2e ones still run alone. The projects learn from
// NETATLAS_E2E_LANE to leave their e2e specs to the lane (vitest.tiers.ts); with a tier asked
// (askedTier: nx test, test-db, test-e2e) there is no lane and each project runs that tier as before.
const root = fileURLToPath(new URL('.', import.meta.url));
const lane = askedTier() === null;
if (lane) process.env[E2E_LANE_ENV] = '1';

/** the projects of the globs below, so that a new project's e2e specs join the lane too */
const PROJECT_DIRS = ['libs', 'apps', 'tools'].flatMap((top) =>
  readdirSync(join(root, top), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, top, d.name, 'vitest.config.ts')))
    .map((d) => `${top}/${d.name}`),
);

export default defineConfig({
  test: {
    projects: [
      'libs/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      'tools/*/vitest.config.ts',
      'apps/api/vitest.solo.config.ts',
      ...(lane
        ? [
            {
              resolve: { alias: workspaceAliases },
              test: {
                name: 'e2e',
                root,
                // the solo specs run alone after everything (apps/api/vitest.solo.config.ts)
                include: e2eSpecsOf(root, PROJECT_DIRS).filter((spec) => !SOLO_SPECS.some((solo) => spec === `apps/api/${solo}`)),
                environment: 'node' as const,
                // the API's e2e specs need its generated Prisma client, as in its own project
                globalSetup: ['apps/api/vitest.global-setup.ts'],
                fileParallelism: false,
                // the longest of the projects' own (the lab's): a lab's set-up takes minutes
                testTimeout: 600_000,
                hookTimeout: 600_000,
              },
            },
          ]
        : []),
    ],
  },
});
