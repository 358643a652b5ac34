// ESLint flat config: typescript-eslint with type-checked rules for every workspace, the React hooks rules for web/,
// and the server's layer order.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/.scratch*/**', '**/dist/**', '**/node_modules/**', '**/coverage/**', 'docs/api/**', '**/migrations/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Tests read JSON response bodies, which are untyped by nature.
    files: ['**/test/**/*.ts', 'e2e/helpers/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // The web client's components and hooks (hooks also live in .ts files, e.g. web/src/chat/).
  {
    files: ['web/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
    // A missing dependency is a stale-closure bug: fail the lint, not just warn.
    rules: { ...reactHooks.configs.flat.recommended.rules, 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    // The server's layers, top to bottom: main/app → http, realtime (the edges) → accounts → chat → branding →
    // the base (db, bus, telemetry, config, errors, rate-limit, user-view) → contract/ (the API's objects, a leaf); deps.ts sits above the
    // domain's per-node state. An import only goes down; SQL
    // (drizzle-orm) only in the domain and db/. See docs/architecture.md.
    files: ['server/src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname + '/server/src',
          zones: [
            // contract/ (the API's objects and view types) is the leaf under everything: it imports nothing of ours.
            { target: './contract', from: ['./accounts', './chat', './branding', './http', './realtime', './db', './bus', './telemetry', './errors.ts', './rate-limit.ts', './user-view.ts', './deps.ts', './config.ts', './app.ts', './main.ts'], message: 'contract/ is the leaf: it imports nothing of the server.' },
            { target: ['./db/connect.ts', './db/schema.ts', './bus', './telemetry', './errors.ts', './rate-limit.ts', './user-view.ts'], from: ['./accounts', './chat', './branding', './http', './realtime', './deps.ts', './config.ts', './app.ts', './main.ts'], message: 'The base imports nothing above it.' },
            { target: './config.ts', from: ['./accounts', './chat', './http', './realtime', './app.ts', './main.ts'], message: 'The base imports nothing above it.' },
            // deps.ts builds each domain's per-node state (its *-cache.ts and send-batch.ts), for the domain to use.
            { target: './deps.ts', from: ['./http', './realtime', './app.ts', './main.ts'], message: 'The domain does not know its edges.' },
            { target: './branding', from: ['./accounts', './chat', './http', './realtime', './app.ts', './main.ts'], message: 'branding/ is below accounts/ and chat/.' },
            { target: './chat', from: ['./accounts', './http', './realtime', './app.ts', './main.ts'], message: 'chat/ is below accounts/: it must not import it (shared views go in a leaf such as user-view.ts).' },
            { target: './accounts', from: ['./http', './realtime', './app.ts', './main.ts'], message: 'The domain does not know its edges.' },
            { target: './http', from: ['./realtime', './app.ts', './main.ts'], message: 'http/ and realtime/ are separate edges.' },
            { target: './realtime', from: ['./http', './app.ts', './main.ts'], message: 'http/ and realtime/ are separate edges.' },
          ],
        },
      ],
    },
  },
  {
    // The edges call domain functions; only the domain and db/ write SQL.
    files: ['server/src/http/**/*.ts', 'server/src/realtime/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'drizzle-orm', message: 'SQL belongs in db/, accounts/, chat/ or branding/.' }] }],
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    // The load generator (bench/) and the deployment smoke client (scripts/) are plain ESM JavaScript run by Node.
    files: ['bench/**/*.js', 'scripts/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        ['process', 'console', 'fetch', 'performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'URL', 'AbortController'].map((n) => [n, 'readonly']),
      ),
    },
  },
);
