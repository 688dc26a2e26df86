import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';

export default defineProject({
  // the apps' modules (their env and flag lists) import the workspace libs
  resolve: { alias: workspaceAliases },
  test: {
    name: 'deploy',
    include: ['src/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 60_000,
    // build-steps.spec.ts runs npm ci and the Nx builds the Dockerfiles run
    hookTimeout: 600_000,
  },
});
