// @ts-check
import tseslint from 'typescript-eslint';

// Layers import only downward (README, Architecture): schemas/ → src/ → activities/ → workflows/ → workers/ → the
// shells (stack/, bench/, cli/). A relative import that climbs into a folder of a higher layer is an error.
const above = (...folders) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          regex: `^(\\.\\./)+(${folders.join('|')})(/|$)`,
          message: `A layer imports only from the layers below it; above this file: ${folders.map((f) => `${f}/`).join(", ")} (README, Architecture).`,
        },
      ],
    },
  ],
});
const SHELLS = ['cli', 'stack', 'bench'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.mainspring/**', 'coverage/**', 'bench/results/**', 'test-artifacts/**', 'bin/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Workflow code must be deterministic: it may import only what its bundle is built for (@temporalio/workflow and
    // @temporalio/common, e.g. defineSearchAttributeKey), local files (schemas/ among them: the contracts, pure, some
    // with zod) and types.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/(workflow|common)$)(?!\\.)',
              message: 'Workflow files may import only @temporalio/workflow, @temporalio/common and local modules (use `import type` for anything else).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  { files: ['schemas/**/*.ts'], rules: above('src', 'workflows', 'activities', 'workers', ...SHELLS) },
  { files: ['src/**/*.ts'], rules: above('workflows', 'activities', 'workers', ...SHELLS) },
  { files: ['activities/**/*.ts'], rules: above('workflows', 'workers', ...SHELLS) },
  { files: ['workers/**/*.ts'], rules: above(...SHELLS) },
  // The stack manager and the bench are shells beside the CLI, below it: the CLI may load them, not the other way.
  { files: ['stack/**/*.ts'], rules: above('workflows', 'activities', 'workers', 'cli', 'bench') },
  { files: ['bench/**/*.ts'], rules: above('cli') },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
