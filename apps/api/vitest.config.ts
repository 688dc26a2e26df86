import { configDefaults, defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';
import { excludedSpecs } from '../../vitest.tiers.js';
import { SOLO_SPECS } from './vitest.solo.config.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'api',
    include: ['src/**/*.spec.ts'],
    // measured alone, after the rest (vitest.solo.config.ts)
    exclude: [...configDefaults.exclude, ...SOLO_SPECS, ...excludedSpecs(import.meta.url)],
    environment: 'node',
    globalSetup: ['./vitest.global-setup.ts'],
  },
});
