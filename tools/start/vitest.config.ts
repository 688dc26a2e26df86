import { configDefaults, defineConfig } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';
import { excludedSpecs } from '../../vitest.tiers.js';

export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'start',
    include: ['src/**/*.spec.ts'],
    // nx test / test-db / test-e2e: one tier (vitest.tiers.ts)
    exclude: [...configDefaults.exclude, ...excludedSpecs(import.meta.url)],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
