// Builds what the e2e tests run: the server (tsc) and the web client's production build (web/dist).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../', import.meta.url));
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: `${root}server`, stdio: 'inherit' });
  // NODE_ENV is "test" under vitest; Vite would then build React's development bundle.
  execFileSync('npm', ['run', 'build', '--silent', '-w', '@famichat/web'], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
}
