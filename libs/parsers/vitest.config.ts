import { configDefaults, defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';
import { excludedSpecs } from '../../vitest.tiers.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'parsers',
    include: ['src/**/*.spec.ts'],
    // nx test / test-db / test-e2e: one tier (vitest.tiers.ts)
    exclude: [...configDefaults.exclude, ...excludedSpecs(import.meta.url)],
    environment: 'node',
  },
});
