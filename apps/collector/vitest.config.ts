import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { tsconfigPaths: true },
  test: {
    name: 'collector',
    include: ['src/**/*.spec.ts'],
    environment: 'node',
  },
});
