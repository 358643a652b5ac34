// Builds the server (tsc) once, so the realtime tests can start the real production server.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: fileURLToPath(new URL('../../server/', import.meta.url)), stdio: 'inherit' });
}
