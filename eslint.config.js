import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'data/**',
      'drizzle/**',
      'coverage/**',
      'bin/**',
      '*.cjs',
    ],
  },
  { ignores: ['reports/**', '.stryker-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': 'off',
    },
  },
  {
    // The policy core must be deterministic: time and randomness come in as arguments.
    files: ['src/policy/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Pass the clock in; policy code is pure.' },
        { object: 'Math', property: 'random', message: 'Pass randomness in; policy code is pure.' },
      ],
    },
  },
);
