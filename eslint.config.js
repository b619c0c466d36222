import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.dependency-cruiser.cjs', 'node_modules/', 'bench-results/', '.cache/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Enums are not erasable syntax; use a union of string literals.' },
      ],
    },
  },
  {
    // Library code never writes to the console: it logs through an injected pino logger.
    files: ['hal/**/*.ts', 'node/**/*.ts', 'device/**/*.ts', 'fleet/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
);
