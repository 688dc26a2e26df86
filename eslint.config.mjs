import { builtinModules } from 'node:module';
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Node built-ins, bare and with the node: prefix, including subpaths (fs/promises).
const nodeBuiltins = [...new Set(builtinModules.map((name) => name.replace(/^node:/, '')))].flatMap((name) => [
  name,
  `${name}/*`,
  `node:${name}`,
  `node:${name}/*`,
]);

// Server-side packages that must never reach the browser bundle or the shared libs.
const serverOnlyPackages = ['@nestjs/*', '@prisma/*', 'prisma', 'express', 'socket.io', '@kubernetes/*', 'pg'];

// Where a project may sit in the graph.
const boundaries = {
  enforceBuildableLibDependency: false,
  banTransitiveDependencies: true,
  allow: [],
  depConstraints: [
    // Where a project may sit in the graph.
    { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:shared'], bannedExternalImports: serverOnlyPackages },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'], bannedExternalImports: serverOnlyPackages },
    { sourceTag: 'scope:node', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:shared'] },
    // Libraries never depend on apps or tools (Nx also forbids importing an app outright).
    { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
    { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
  ],
};

export default defineConfig(
  globalIgnores(['**/dist/', '**/node_modules/', '**/.nx/', '**/coverage/', '**/tmp/', 'apps/api/src/generated/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries],
    },
  },
  {
    // Tell typescript-eslint that class types in decorated constructors are runtime values (DI metadata).
    files: ['apps/api/**/*.ts'],
    languageOptions: { parserOptions: { emitDecoratorMetadata: true, experimentalDecorators: true } },
  },
  {
    // The shared libs are imported by the browser app, and parsers stay pure (text in, facts out):
    // no Node built-ins at all, so no child_process and no fs. Readers in apps/collector do the I/O.
    files: ['libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/vitest.config.ts', 'libs/*/src/spec-support/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: nodeBuiltins,
              message: 'libs are shared with the browser and stay pure: no Node built-ins (no child_process, no fs).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/web/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    languageOptions: { globals: { ...globals.browser, ...Object.fromEntries(Object.keys(globals.node).map((name) => [name, 'off'])) } },
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: nodeBuiltins, message: 'the web app runs in the browser: no Node built-ins.' }] },
      ],
    },
  },
  {
    // Issue 17: the topology, checks and trace derivation and the web app (its canvas painter first)
    // read as named steps, none longer than a screen. A function that must stay longer says why,
    // directly above it: `// eslint-disable-next-line max-lines-per-function -- <the reason>`.
    files: ['libs/graph/src/**/*.ts', 'apps/web/src/**/*.ts'],
    ignores: ['**/*.spec.ts', 'libs/*/src/spec-support/**'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Tests (and their support folders) may drive the lab and read its ground truth.
    files: ['**/*.spec.ts', 'apps/*/src/testing/**/*.ts', 'libs/*/src/spec-support/**/*.ts', 'apps/*/bench/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', { ...boundaries, allow: ['@netatlas/lab-testing'] }] },
  },
  {
    // The web app's browser bench runs in Node, not in the browser: it plays the API (socket.io) to the page it measures.
    files: ['apps/web/bench/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          ...boundaries,
          allow: ['@netatlas/lab-testing'],
          depConstraints: boundaries.depConstraints.map((c) => (c.sourceTag === 'scope:web' ? { sourceTag: c.sourceTag, onlyDependOnLibsWithTags: c.onlyDependOnLibsWithTags } : c)),
        },
      ],
    },
  },
  {
    // test-runner configs share the workspace's alias map from the root; they are not part of any project's code
    files: ['**/vitest.config.ts', '**/vitest.*.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
);
