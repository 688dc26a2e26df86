import { configDefaults, defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';
import { otherTiers } from '../../vitest.tiers.js';

// The API's specs that measure a figure the issues bound (a resnapshot in < 10 s; ingest's p99 with
// five stalled readers within 2× of without): they run after every other suite (groupOrder), one
// file at a time, so that the figure is the code's and not the neighbours' — on two cores a
// concurrent lab or browser test doubled it. They are in neither the api project nor the e2e lane.
export const SOLO_SPECS = ['src/ingest/resnapshot-unanalyzed.spec.ts', 'src/e2e/slow-readers.spec.ts'];

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'api-solo',
    include: SOLO_SPECS,
    exclude: [...configDefaults.exclude, ...otherTiers(import.meta.url)],
    environment: 'node',
    globalSetup: ['./vitest.global-setup.ts'],
    fileParallelism: false,
    sequence: { groupOrder: 1 },
  },
});
