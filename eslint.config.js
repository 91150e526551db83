import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'data/**', '**/dist/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read process.env in config/ alone.' },
      ],
    },
  },
  {
    // Config reads the environment; tests, benchmarks and the CLI entry may set it for child processes.
    files: [
      'apps/server/src/config/**',
      'apps/*/test/**',
      'bench/**',
      'scripts/**',
      '*.config.ts',
      'apps/server/bin/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
);
