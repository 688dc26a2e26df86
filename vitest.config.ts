import { defineConfig } from 'vitest/config';

// One runner for the whole repo: `npm test` (= `vitest run`) runs every project's suite once.
// Each project's own config sets its name, include globs and environment; `nx test <project>`
// runs that config alone.
export default defineConfig({
  test: {
    projects: ['libs/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'tools/*/vitest.config.ts', 'apps/api/vitest.solo.config.ts'],
  },
});
