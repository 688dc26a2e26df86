import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { tsconfigPaths: true },
  test: {
    name: 'web',
    include: ['src/**/*.spec.ts'],
    environment: 'node',
  },
});
