import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { tsconfigPaths: true },
  test: {
    name: 'api',
    include: ['src/**/*.spec.ts'],
    environment: 'node',
  },
});
