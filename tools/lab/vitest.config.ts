import { configDefaults, defineConfig } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';
import { excludedSpecs } from '../../vitest.tiers.js';

// Lab tests build real network namespaces and BGP daemons (root needed): one file at a time,
// with long time-outs. defineConfig rather than defineProject because passWithNoTests is a
// root-only option: it applies when this project runs alone (nx test lab) and is ignored
// inside the root `vitest run`, where other projects always have tests.
export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'lab',
    include: ['src/**/*.spec.ts'],
    // nx test / test-db / test-e2e: one tier (vitest.tiers.ts)
    exclude: [...configDefaults.exclude, ...excludedSpecs(import.meta.url)],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    passWithNoTests: true,
  },
});
