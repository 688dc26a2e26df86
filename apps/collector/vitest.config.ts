import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'collector',
    include: ['src/**/*.spec.ts'],
    environment: 'node',
    // these tests run the real collector against real tools and lab namespaces
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
