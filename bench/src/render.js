// Re-renders a Markdown report from its JSON: `node src/render.js [results/latest.json]`.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderMarkdown } from './report.js';

const file = process.argv[2] ?? new URL('../results/latest.json', import.meta.url).pathname;
writeFileSync(file.replace(/\.json$/, '.md'), renderMarkdown(JSON.parse(readFileSync(file, 'utf8'))));
console.log(`rendered ${file.replace(/\.json$/, '.md')}`);
