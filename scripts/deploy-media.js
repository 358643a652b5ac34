// Media across the scale-out deployment (used by scripts/check-deploy.sh after `deploy-smoke.js across`,
// whose admin it logs in as): a file uploaded through node 1 is stored in the shared S3 store (MinIO) and
// served by node 2 byte for byte, whole and as a range; both nodes report their storage ready.
//   node scripts/deploy-media.js URL_NODE1 URL_NODE2
// Exits non-zero with a clear message on the first thing that is wrong.
import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';

const [node1, node2] = process.argv.slice(2);

function fail(message) {
  console.error(`deploy-media: ${message}`);
  process.exit(1);
}

const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** fetch with a time limit whose timer keeps the process alive; resolves with the status, headers and bytes. */
async function fetchWithin(url, init, ms = 60_000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url} within ${ms} ms`)), ms);
  try {
    const res = await fetch(url, { ...init, signal: controller.signal });
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  for (const node of [node1, node2]) {
    const ready = await fetchWithin(`${node}/readyz`);
    const checks = JSON.parse(ready.bytes.toString()).data?.checks;
    if (ready.status !== 200 || checks?.storage !== 'ok') fail(`${node}/readyz: ${ready.status} ${ready.bytes.toString().slice(0, 300)}`);
  }
  const login = await fetchWithin(`${node1}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'grandpa', password: 'correct horse battery' }),
  });
  if (login.status !== 200) fail(`login on node 1: ${login.status} ${login.bytes.toString().slice(0, 300)}`);
  const { token } = JSON.parse(login.bytes.toString()).data;
  // Larger than one 8 MiB part: the store gets a multipart upload.
  const bytes = randomBytes(10 * 1024 * 1024 + 12_345);
  const upload = await fetchWithin(`${node1}/api/v1/uploads?filename=video-from-node-1.bin`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  if (upload.status !== 201) fail(`upload through node 1: ${upload.status} ${upload.bytes.toString().slice(0, 300)}`);
  const attachment = JSON.parse(upload.bytes.toString()).data;
  const whole = await fetchWithin(`${node2}${attachment.url}`);
  if (whole.status !== 200 || sha(whole.bytes) !== sha(bytes)) {
    fail(`node 2 served ${whole.status} with ${whole.bytes.length} bytes (sha256 ${sha(whole.bytes)}), expected ${bytes.length} (${sha(bytes)})`);
  }
  const range = await fetchWithin(`${node2}${attachment.url}`, { headers: { range: 'bytes=0-0' } });
  if (range.status !== 206 || !range.bytes.equals(bytes.subarray(0, 1))) fail(`node 2's range bytes=0-0: ${range.status} with ${range.bytes.length} bytes`);
  console.log(`deploy-media: ${bytes.length} bytes uploaded through node 1 were served by node 2 byte for byte (and bytes=0-0 as 206)`);
}

try {
  await main();
} catch (error) {
  fail(String(error?.stack ?? error));
}
