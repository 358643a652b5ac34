/* global console, process, URL */
// After `vite build`: writes dist/sw.js with the app shell's files to precache, then prints the size of the
// production JavaScript (gzipped) and fails the build when it is over the 250 KB budget.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET = 250 * 1024;
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const all = files(dist).map((path) => `/${relative(dist, path).split(sep).join('/')}`).filter((p) => p !== '/sw.js');
const shell = ['/', ...all.filter((p) => p === '/index.html' || p.startsWith('/assets/') || /^\/(icon[^/]*|manifest\.webmanifest)$/.test(p))];
const version = createHash('sha256').update(shell.join('\n') + readFileSync(join(dist, 'index.html'))).digest('hex').slice(0, 12);
const template = readFileSync(fileURLToPath(new URL('../sw.js', import.meta.url)), 'utf8');
const sw = template
  .replace(/^\/\* global[^\n]*\n/, '')
  .replace("'__VERSION__'", JSON.stringify(version))
  .replace('= __PRECACHE__;', `= ${JSON.stringify(shell)};`);
writeFileSync(join(dist, 'sw.js'), sw);

let total = 0;
for (const path of all.filter((p) => p.endsWith('.js'))) {
  const size = gzipSync(readFileSync(join(dist, path))).length;
  total += size;
  console.log(`  ${path}  ${(size / 1024).toFixed(1)} KB gzipped`);
}
console.log(`web: production JavaScript is ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB); service worker precaches ${shell.length} files`);
if (total > BUDGET) {
  console.error('web: the JavaScript bundle is over budget');
  process.exit(1);
}
