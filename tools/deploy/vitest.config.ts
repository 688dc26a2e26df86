import { configDefaults, defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';
import { excludedSpecs } from '../../vitest.tiers.js';

export default defineProject({
  // the apps' modules (their env and flag lists) import the workspace libs
  resolve: { alias: workspaceAliases },
  test: {
    name: 'deploy',
    include: ['src/**/*.spec.ts'],
    // nx test / test-db / test-e2e: one tier (vitest.tiers.ts)
    exclude: [...configDefaults.exclude, ...excludedSpecs(import.meta.url)],
    environment: 'node',
    testTimeout: 60_000,
    // build-steps.spec.ts runs npm ci and the Nx builds the Dockerfiles run
    hookTimeout: 600_000,
  },
});
