// `npm run bench [-- --quick] [-- --only=send,fanout,http,connections,history,footprint,register,media]`
// Runs the scenarios against a real server over loopback and writes bench/results/latest.{md,json}.
// Exits non-zero only on errors, lost or duplicated messages: never because something is slow.
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { installCleanup, machine, root } from './lib.js';
import * as sc from './scenarios.js';
import { media } from './media.js';
import { renderMarkdown } from './report.js';

installCleanup();
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
// With --only, `--into-latest` puts the sections run into latest.{json,md} beside the earlier full run's others.
const intoLatest = Boolean(only) && !quick && args.includes('--into-latest');
const fdLimit = Number(execSync('ulimit -n', { shell: '/bin/bash' }).toString().trim()) || 1024;

// The bench runs the built server; build it when it is not there (a fresh checkout in CI).
if (!existsSync(join(root, 'server', 'dist', 'main.js'))) {
  console.log('building the server (npm run build -w @famichat/server)');
  execSync('npm run build -w @famichat/server', { cwd: root, stdio: 'inherit' });
}

const settings = quick
  ? {
      send: { families: 40, size: 5, fixedRate: 200, rates: [400], relayRates: [400], stepMs: 2000, rawPgMs: 2000, rawPgConcurrency: 20, rawPgBatch: 20 },
      fanout: { members: 50, rates: [20, 100], relayRates: [100], stepMs: 2000 },
      http: { families: 20, size: 5, concurrencies: [10], seconds: 2 },
      connections: { counts: [300], workers: 2, fdLimit },
      history: { depth: 20_000, shallowDepth: 1000, requests: 50 },
      footprint: { steadyRate: 100, steadyMs: 3000 },
      register: { clients: 64, baselineMs: 1000, floodSeconds: 1 },
      media: { judge: false, bigBytes: 8e6, bigRounds: 1, photoCount: 5, photoBytes: 1e6, photoRounds: 1, jpeg: { width: 1600, height: 1200 }, jpegCount: 2, rssConcurrent: 3, rssBytes: 8e6, thumbnailRuns: 3, viewers: 10, serveMs: 1000, serveRounds: 1 },
    }
  : {
      send: {
        families: 200,
        size: 5,
        fixedRate: 1000,
        rates: [100, 250, 500, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000],
        relayRates: [1000, 2000, 3000, 4000, 6000, 8000],
        stepMs: 10_000,
        rawPgMs: 10_000,
        rawPgConcurrency: 50,
        rawPgBatch: 20,
      },
      fanout: { members: 200, rates: [10, 25, 50, 100, 250, 500, 750, 1000, 1500], relayRates: [100, 250, 500, 750, 1000], stepMs: 10_000 },
      http: { families: 200, size: 5, concurrencies: [1, 10, 50, 100], seconds: 10 },
      connections: { counts: [5000, 10_000, 20_000], workers: 4, fdLimit },
      history: { depth: 1_000_000, shallowDepth: 1000, requests: 2000 },
      footprint: { steadyRate: 200, steadyMs: 600_000 },
      register: { clients: 64, baselineMs: 5000, floodSeconds: 5 },
      media: { judge: true, bigBytes: 100e6, bigRounds: 5, photoCount: 30, photoBytes: 3e6, photoRounds: 3, jpeg: { width: 4000, height: 3000 }, jpegCount: 10, rssConcurrent: 10, rssBytes: 100e6, thumbnailRuns: 40, viewers: 50, serveMs: 6000, serveRounds: 3 },
    };

const scenarios = [
  ['send', 'Send and delivery (family-shaped)', sc.sendDelivery],
  ['fanout', 'Fan-out', sc.fanOut],
  ['http', 'HTTP send', sc.httpSend],
  ['connections', 'Connections', sc.connections],
  ['history', 'History at depth', sc.history],
  ['footprint', 'Footprint', sc.footprint],
  ['register', 'Login under a registration flood', sc.registerFlood],
  ['media', 'Media: uploads, memory, thumbnails, serving', media],
];

const log = (line) => console.log(line);
const git = (cmd) => {
  try {
    return execSync(`git ${cmd}`, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
};

const report = {
  started_at: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  commit: git('rev-parse HEAD'),
  // Earlier reports and browser-test screenshots do not count: they are outputs, not what was measured.
  dirty: git("status --porcelain -- . ':!bench/results' ':!docs/screenshots'") !== '',
  machine: { cpu: machine(), cores: cpus().length, memory_gb: Math.round(totalmem() / 1e9), kernel: release(), node: process.version, fd_limit: fdLimit, load_average_at_start: loadavg().map((x) => Math.round(x * 100) / 100) },
  note: 'The load generator, the relay and PostgreSQL share the same machine as the server: on 2 cores the bench processes compete with the server for CPU, so every figure is a lower bound for the server alone.',
  scenarios: {},
  problems: [],
  findings: [],
};

const wall = Date.now();
for (const [key, title, fn] of scenarios) {
  if (only && !only.includes(key)) continue;
  const t0 = Date.now();
  try {
    const result = await fn(settings[key], log);
    report.scenarios[key] = { title, seconds: Math.round((Date.now() - t0) / 1000), ...result };
    report.problems.push(...result.problems);
    report.findings.push(...(result.findings ?? []));
  } catch (error) {
    const message = String(error?.stack ?? error);
    console.error(`${key} failed: ${message}`);
    report.scenarios[key] = { title, error: message };
    report.problems.push(`${key}: crashed: ${String(error?.message ?? error)}`);
  }
}
report.finished_at = new Date().toISOString();
report.machine.load_average_at_end = loadavg().map((x) => Math.round(x * 100) / 100);
report.seconds = Math.round((Date.now() - wall) / 1000);

const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const name = quick ? 'quick' : only && !intoLatest ? 'partial' : 'latest';
let written = report;
if (intoLatest && existsSync(join(dir, 'latest.json'))) {
  // Each section run now replaces its earlier figures and says which run it comes from; the rest stay as they were.
  written = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'));
  const run = { started_at: report.started_at, commit: report.commit, dirty: report.dirty, load_average_at_start: report.machine.load_average_at_start, load_average_at_end: report.machine.load_average_at_end };
  for (const [key, value] of Object.entries(report.scenarios)) written.scenarios[key] = { ...value, run };
  const ours = (line) => Object.keys(report.scenarios).some((key) => line.startsWith(`${key}`));
  written.problems = [...written.problems.filter((line) => !ours(line)), ...report.problems];
  written.findings = [...(written.findings ?? []).filter((line) => !ours(line)), ...report.findings];
}
writeFileSync(join(dir, `${name}.json`), JSON.stringify(written, null, 2) + '\n');
writeFileSync(join(dir, `${name}.md`), renderMarkdown(written));
console.log(`\nreport: bench/results/${name}.md (${report.seconds} s)`);
if (report.problems.length > 0) {
  console.error(`\n${report.problems.length} problem(s):\n  ${report.problems.join('\n  ')}`);
  process.exit(1);
}
process.exit(0);
