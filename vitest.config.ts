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
// Two workers, one of them the e2e lane: every project's e2e specs (the lab's namespaces and BGP
// daemons, root, a browser, a whole build) run there one file at a time, as they always have,
// while the unit and db specs run on the other worker. Vitest's default on two cores is one
// worker, which ran the whole suite one file at a time; most of an e2e file's time is spent
// waiting (daemons converging, pings, time-outs), not on a core. The projects learn from
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
    maxWorkers: 2,
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
