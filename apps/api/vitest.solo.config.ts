import { configDefaults, defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';
import { excludedSpecs } from '../../vitest.tiers.js';

// The API's specs that measure a figure the issues bound (a resnapshot in < 10 s): they run after
// every other suite (groupOrder), one file at a time, so that the figure is the code's and not the
// neighbours' — on two cores a concurrent lab or browser test doubled it.
export const SOLO_SPECS = ['src/history/resnapshot-unanalyzed.spec.ts'];

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'api-solo',
    include: SOLO_SPECS,
    exclude: [...configDefaults.exclude, ...excludedSpecs(import.meta.url)],
    environment: 'node',
    globalSetup: ['./vitest.global-setup.ts'],
    fileParallelism: false,
    sequence: { groupOrder: 1 },
  },
});
