// ESLint over the TypeScript sources and tests, the browser page and the CLI shim (issue 12).
// typescript-eslint's recommended rules, plus a few that catch real bugs; Prettier owns layout.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-artifacts/', 'web/ui/vendor/', 'coverage/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    rules: {
      // An unused binding is a bug or dead code; a leading underscore marks one kept on purpose
      // (a callback's positional parameter, a rest-sibling that drops a field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
      'no-var': 'error',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests edit parsed YAML documents and poke at fakes whose shape is the input under test; typing
      // them would only restate the schema the code under test validates.
      '@typescript-eslint/no-explicit-any': 'off',
      // Test regexes match rendered config text with its indentation; `/^    reload$/` reads as the
      // file does, `/^ {4}reload$/` does not.
      'no-regex-spaces': 'off',
    },
  },
  {
    files: ['web/ui/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
    // The page is one classic script: its top-level functions (moveTo, …) may share a name with a
    // window method they are never meant to call.
    rules: { 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
  {
    files: ['bin/*.js', '*.js', '*.mjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
);
