import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { tsconfigPaths: true },
  test: {
    name: 'parsers',
    include: ['src/**/*.spec.ts'],
    environment: 'node',
  },
});
