import { configDefaults, defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';
import { excludedSpecs } from '../../vitest.tiers.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'collector',
    include: ['src/**/*.spec.ts'],
    // nx test / test-db / test-e2e: one tier (vitest.tiers.ts)
    exclude: [...configDefaults.exclude, ...excludedSpecs(import.meta.url)],
    environment: 'node',
    // these tests run the real collector against real tools and lab namespaces
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
