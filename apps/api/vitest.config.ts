import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.aliases.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'api',
    include: ['src/**/*.spec.ts'],
    environment: 'node',
    globalSetup: ['./vitest.global-setup.ts'],
  },
});
