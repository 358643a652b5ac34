// The media section: uploads, server memory while uploading, thumbnails and serving, each beside a ceiling
// measured in the same run on the same machine. Returns a plain object for the JSON report; `problems` lists
// errors only (a failed upload, wrong bytes served, a crash): speed never fails the run.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { createDatabase, now, root, round, rssOf, seed, sleep, startServer, summarize, track } from './lib.js';
import { mediaTargets } from './report.js';

/** sharp, fastify and @fastify/static as the server resolves them (the bench uses the server's own versions). */
const fromServer = createRequire(join(root, 'server', 'package.json'));

/** Sizes are decimal: 1 MB = 1,000,000 bytes, and rates are MB/s of those. */
const MB = 1e6;
const mb = (bytes) => round(bytes / MB, 1);
const rate = (bytes, ms) => round(bytes / MB / (ms / 1000), 1);
/** Every request the bench makes gives up after this long: a hung server fails the step, never the bench. */
const REQUEST_TIMEOUT_MS = 120_000;
/** The part of a body written at a time, by the client and by the disk ceiling alike. */
const CHUNK = 64 * 1024;

/** Temporary directories still to remove, also when the bench is interrupted (installCleanup exits the process). */
const temporary = new Set();
process.on('exit', () => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** The media section (scenario 8). */
export async function media(o, log) {
  const problems = [];
  const findings = [];
  const out = {};
  const dir = mkdtempSync(join(tmpdir(), 'famichat-bench-media-'));
  temporary.add(dir);
  const mediaDir = join(dir, 'media');
  // The ceiling writes next to the server's files: same directory tree, same filesystem.
  const ceilingDir = join(mediaDir, 'bench-ceiling');
  const staticDir = join(dir, 'static');
  mkdirSync(ceilingDir, { recursive: true });
  mkdirSync(staticDir);
  let db;
  let server;
  let client;
  let sink;
  log('8. media');
  const started = now();
  const seconds = {};
  out.seconds = seconds;
  try {
    db = await createDatabase();
    server = await startServer({
      databaseUrl: db.url,
      env: {
        FAMICHAT_DATA_DIR: join(dir, 'data'),
        FAMICHAT_MEDIA_DIR: mediaDir,
        FAMICHAT_UPLOAD_MAX_BYTES: String(Math.max(o.bigBytes, o.rssBytes) + MB),
        FAMICHAT_UPLOAD_QUOTA_BYTES: String(1e12),
        FAMICHAT_UPLOADS_PER_MINUTE: '1000000',
        // As `npm start` and the Docker image run it: fewer glibc arenas keep image processing's memory down.
        MALLOC_ARENA_MAX: '2',
      },
    });
    const { families } = await seed(db.url, 1, 2);
    const token = families[0].users[0].token;
    client = uploader(server.base, token, 1);
    const jpeg = await photo(o.jpeg.width, o.jpeg.height);
    seconds.setup = round((now() - started) / 1000, 1);
    log(`  a ${o.jpeg.width}x${o.jpeg.height} JPEG of ${mb(jpeg.length)} MB made with sharp (gradient blotches and grain, EXIF orientation 6)`);
    const part = async (key, label, fn) => {
      const t0 = now();
      try {
        out[key] = await fn();
      } catch (error) {
        log(`  ${label} failed: ${String(error?.message ?? error)}`);
        problems.push(`media ${label}: ${String(error?.message ?? error)}`);
        out[key] = { error: String(error?.stack ?? error) };
      } finally {
        seconds[key] = round((now() - t0) / 1000, 1);
      }
    };
    // Server RSS along the way: what the work before a figure left behind.
    const along = [];
    const checkpoint = (at) => along.push({ at, rss_mb: mb(rssOf(server.pid)) });
    checkpoint('after start');
    await part('rss', 'server RSS under parallel uploads', () => rssUnderUploads(o, server, token, log));
    checkpoint('after the parallel uploads');
    sink = await startCeilingProcess('upload-sink.js', ceilingDir);
    await part('upload', 'upload throughput', () => uploadThroughput(o, client, server.base, sink, ceilingDir, jpeg, log, checkpoint));
    await sink.stop();
    checkpoint('after the JPEG uploads');
    await part('serve', 'serving a photo', () => serving(o, server.base, client, jpeg, staticDir, log));
    checkpoint('after serving');
    out.server_rss_along = along;
    const before = along.find((x) => x.at === 'after the photo-sized uploads');
    const after = along.find((x) => x.at === 'after the JPEG uploads');
    if (before && after && after.rss_mb - before.rss_mb > 64) {
      findings.push(`media: the server's RSS rose from ${before.rss_mb} to ${after.rss_mb} MB over ${o.jpegCount} JPEG uploads of ${o.jpeg.width}x${o.jpeg.height} (what image processing with sharp leaves behind)`);
    }
    log(`  server RSS along the way: ${along.map((x) => `${x.at} ${x.rss_mb} MB`).join(', ')}`);
    await part('thumbnail', 'image processing', () => thumbnails(o, jpeg, dir, log));
    if (o.judge) for (const [name, value, ok] of mediaTargets(out)) log(`  ${ok === null ? '----' : ok ? 'PASS' : 'MISS'} ${name}: ${value}`);
  } finally {
    client?.close();
    await sink?.stop().catch(() => {});
    await server?.stop().catch(() => {});
    await db?.drop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    temporary.delete(dir);
  }
  return { settings: o, ...out, problems, findings };
}

// --- fixtures -------------------------------------------------------------------------------------------

/**
 * A photo-like JPEG: smooth colour blotches (a small random field scaled up with a cubic kernel) plus grain,
 * so it compresses like a photo (about 3 MB at 12 MP, quality 85), not like a flat colour. EXIF orientation 6
 * (a phone held upright), so the server's `rotate()` has work to do.
 */
async function photo(width, height) {
  const sharp = fromServer('sharp');
  const field = await sharp(randomBytes(48 * 36 * 3), { raw: { width: 48, height: 36, channels: 3 } })
    .resize(width, height, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  const grain = randomBytes(field.length);
  for (let i = 0; i < field.length; i++) {
    const v = field[i] + (((grain[i] - 128) * 20) >> 7);
    field[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return sharp(field, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).withMetadata({ orientation: 6 }).toBuffer();
}

/** Leads every random file: random bytes alone start with some format's magic number about once in 1,500 (MP3's frame sync most often). */
const PLAIN_PREFIX = Buffer.from('famichat bench: random bytes\n');

/** `bytes` random bytes that the server stores as kind `file`: no magic number at their start. */
function randomFile(bytes) {
  const body = randomBytes(bytes);
  PLAIN_PREFIX.copy(body);
  return body;
}

function* slices(buffer, size) {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

// --- HTTP ----------------------------------------------------------------------------------------------

/** POSTs raw bodies to /api/v1/uploads over keep-alive connections (node:http), timing each to its reply. */
function uploader(base, token, maxSockets, route = '/api/v1/uploads') {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const { hostname, port } = new URL(base);
  const post = (body, filename, type) =>
    new Promise((resolve, reject) => {
      const t0 = now();
      const req = http.request(
        {
          host: hostname,
          port,
          agent,
          method: 'POST',
          path: `${route}?filename=${encodeURIComponent(filename)}`,
          headers: { authorization: `Bearer ${token}`, 'content-type': type, 'content-length': body.length },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let json;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode, json, text, ms: now() - t0 });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`upload of ${filename} got no reply in ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      // Written a chunk at a time with back-pressure, as a browser streams a file.
      Readable.from(slices(body, CHUNK)).pipe(req);
    });
  return { post, close: () => agent.destroy() };
}

/** The attachment of a 201 reply, or an error saying what came back instead. */
function created(res, bytes, filename) {
  if (res.status !== 201 || !res.json?.data) throw new Error(`upload of ${filename}: ${res.status} ${res.text.slice(0, 300)}`);
  const a = res.json.data;
  if (bytes !== undefined && a.size_bytes !== bytes) throw new Error(`upload of ${filename}: size_bytes ${a.size_bytes}, sent ${bytes}`);
  return a;
}

/** GETs a path once and returns its status, body and headers (for checking what the server serves). */
function getOnce(base, path) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: hostname, port, path, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} got no reply in ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
  });
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

// --- 8a. upload throughput ------------------------------------------------------------------------------

/** The ceiling: the same bytes written with a file stream in 64 KiB chunks, then fsynced, in this process. */
async function diskWrite(path, body) {
  const t0 = now();
  await pipeline(Readable.from(slices(body, CHUNK)), createWriteStream(path, { flags: 'wx' }));
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  const ms = now() - t0;
  await unlink(path);
  return ms;
}

/**
 * Runs `rounds` rounds of `sides` (name → async function returning milliseconds), each round starting with
 * the next side, so that no side always goes first; returns each side's milliseconds, round by round.
 */
async function takingTurns(sides, rounds, onRound) {
  const times = Object.fromEntries(sides.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    const lap = {};
    for (let k = 0; k < sides.length; k++) {
      const [name, fn] = sides[(r + k) % sides.length];
      lap[name] = await fn(r);
      times[name].push(lap[name]);
    }
    onRound?.(lap);
  }
  return times;
}

/** The median of a list of numbers. */
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Each side's MB/s as the median over its rounds (a machine shared with other work has spikes: the median
 * keeps one of them from deciding the figure), and Famichat's ratio to each ceiling.
 */
function throughput(bytesPerRound, times) {
  const x = {};
  for (const [name, list] of Object.entries(times)) {
    x[`${name}_mb_per_s`] = round(median(list.map((ms) => bytesPerRound / MB / (ms / 1000))), 1);
    x[`${name}_rounds_mb_per_s`] = list.map((ms) => rate(bytesPerRound, ms));
  }
  x.ratio = round(x.server_mb_per_s / x.disk_mb_per_s, 3);
  x.ratio_http_sink = round(x.server_mb_per_s / x.http_sink_mb_per_s, 3);
  return x;
}

/**
 * Uploads of one big file and of many photo-sized files (random bytes: stored as `file`) vs the disk write,
 * and vs a bare node:http server writing the bodies to the same directory (the transport alone); then real JPEGs.
 */
async function uploadThroughput(o, client, base, sink, ceilingDir, jpeg, log, checkpoint) {
  let n = 0;
  const sinkClient = uploader(sink.base, '', 1, '/');
  try {
    const timed = async (c, body, filename, type, check) => {
      const res = await c.post(body, filename, type);
      const a = created(res, body.length, filename);
      check?.(a, res);
      return res.ms;
    };
    const sendTo = (c, check) => (body, filename) => timed(c, body, filename, 'application/octet-stream', check);
    const asFile = (a) => {
      if (a.kind !== 'file') throw new Error(`random bytes stored as ${a.kind}, not file`);
    };
    let last;
    // The server's own time for the request (the envelope's meta.duration_ms): the rest of a round trip is transport.
    let lastServerMs;
    const toServer = sendTo(client, (a, res) => {
      asFile(a);
      last = a;
      lastServerMs = res.json.meta?.duration_ms;
    });
    const toSink = sendTo(sinkClient);
    const toDisk = (body) => diskWrite(join(ceilingDir, `d${n++}`), body);

    // Warm-up, one big body each: nobody's first allocation, first fsync or first JIT counts.
    const big = randomFile(o.bigBytes);
    await toDisk(big);
    await toServer(big, 'warm-up.bin');
    await toSink(big, 'warm-up.bin');

    // (a) one big file.
    const bigTimes = await takingTurns(
      [
        ['disk', () => toDisk(big)],
        ['server', (r) => toServer(big, `big-${r}.bin`)],
        ['http_sink', (r) => toSink(big, `big-${r}.bin`)],
      ],
      o.bigRounds,
      (run) => {
        log(`  upload ${mb(big.length)} MB: server ${rate(big.length, run.server)} MB/s, bare node:http ${rate(big.length, run.http_sink)} MB/s, disk ${rate(big.length, run.disk)} MB/s`);
      },
    );
    // What the server stored must be the same bytes: fetched back through the attachment's signed URL.
    const back = await getOnce(base, last.url);
    if (back.status !== 200 || back.body.length !== big.length || sha256(back.body) !== sha256(big)) {
      throw new Error(`the ${mb(big.length)} MB upload came back as ${back.status}, ${back.body.length} bytes, ${sha256(back.body) === sha256(big) ? 'same' : 'different'} content`);
    }
    const bigOut = { bytes: big.length, rounds: o.bigRounds, ...throughput(big.length, bigTimes), verified_sha256: true };
    checkpoint('after the big uploads');

    // (b) many photo-sized files one after another, each its own random bytes.
    const files = Array.from({ length: o.photoCount }, () => randomFile(o.photoBytes));
    const perUpload = [];
    const perUploadServer = [];
    const each = (send) => async (r) => {
      let ms = 0;
      for (const [i, f] of files.entries()) {
        const one = await send(f, `photo-${r}-${i}.bin`);
        if (send === toServer) {
          perUpload.push(one);
          if (typeof lastServerMs === 'number') perUploadServer.push(lastServerMs);
        }
        ms += one;
      }
      return ms;
    };
    const photoTimes = await takingTurns(
      [
        ['disk', each(toDisk)],
        ['server', each(toServer)],
        ['http_sink', each(toSink)],
      ],
      o.photoRounds,
    );
    const photosOut = { count: o.photoCount, bytes: o.photoBytes, rounds: o.photoRounds, ...throughput(o.photoCount * o.photoBytes, photoTimes), server_upload_ms: summarize(perUpload), server_own_ms: summarize(perUploadServer) };
    log(`  upload ${o.photoCount} x ${mb(o.photoBytes)} MB: server ${photosOut.server_mb_per_s} MB/s, bare node:http ${photosOut.http_sink_mb_per_s} MB/s, disk ${photosOut.disk_mb_per_s} MB/s`);
    checkpoint('after the photo-sized uploads');

    // (c) real JPEGs: the server reads them with sharp (dimensions, orientation, metadata, thumbnail). No ceiling.
    const jpegMs = [];
    const jpegServerMs = [];
    let image;
    for (let i = 0; i < o.jpegCount; i++) {
      const res = await client.post(jpeg, `photo-${i}.jpg`, 'image/jpeg');
      image = created(res, undefined, `photo-${i}.jpg`);
      if (image.kind !== 'image') throw new Error(`a JPEG was stored as ${image.kind}, not image`);
      jpegMs.push(res.ms);
      if (typeof res.json.meta?.duration_ms === 'number') jpegServerMs.push(res.json.meta.duration_ms);
    }
    const jpegOut = {
      count: o.jpegCount,
      bytes: jpeg.length,
      width: o.jpeg.width,
      height: o.jpeg.height,
      stored: { size_bytes: image?.size_bytes, width: image?.width, height: image?.height, has_thumbnail: Boolean(image?.thumbnail_url) },
      mb_per_s: rate(jpeg.length * o.jpegCount, jpegMs.reduce((a, b) => a + b, 0)),
      upload_ms: summarize(jpegMs),
      server_own_ms: summarize(jpegServerMs),
      // A raw upload of the same size takes about this long: the rest is the image work.
      raw_same_size_ms: round((photosOut.server_upload_ms.p50 * jpeg.length) / o.photoBytes),
    };
    log(`  upload ${o.jpegCount} JPEGs of ${mb(jpeg.length)} MB: ${jpegOut.mb_per_s} MB/s, p50 ${jpegOut.upload_ms.p50} ms each (a raw file that size: ~${jpegOut.raw_same_size_ms} ms)`);
    return { big: bigOut, photos: photosOut, jpeg: jpegOut };
  } finally {
    sinkClient.close();
  }
}

// --- 8b. memory while uploading -------------------------------------------------------------------------

/** Server RSS (VmRSS, every 50 ms) while `rssConcurrent` uploads of `rssBytes` run at once. */
async function rssUnderUploads(o, server, token, log) {
  const body = randomFile(o.rssBytes);
  const parallel = uploader(server.base, token, o.rssConcurrent);
  try {
    // One upload of the same size alone first: the server's steady state, not its first request, is the baseline.
    created(await parallel.post(body, 'alone.bin', 'application/octet-stream'), body.length, 'alone.bin');
    await sleep(1000);
    const before = [];
    for (let i = 0; i < 10; i++) {
      before.push(rssOf(server.pid));
      await sleep(50);
    }
    const baseline = Math.max(...before);
    const samples = [];
    const timer = setInterval(() => samples.push(rssOf(server.pid)), 50);
    const t0 = now();
    let results;
    try {
      results = await Promise.allSettled(Array.from({ length: o.rssConcurrent }, (_, i) => parallel.post(body, `parallel-${i}.bin`, 'application/octet-stream')));
    } finally {
      clearInterval(timer);
    }
    const ms = now() - t0;
    await sleep(500);
    const after = rssOf(server.pid);
    const failed = results.filter((r) => r.status === 'rejected' || r.value.status !== 201 || r.value.json?.data?.size_bytes !== body.length);
    if (failed.length > 0) {
      const first = failed[0];
      throw new Error(`${failed.length} of ${o.rssConcurrent} parallel uploads failed: ${first.status === 'rejected' ? first.reason?.message : `${first.value.status} ${first.value.text.slice(0, 200)}`}`);
    }
    const peak = Math.max(baseline, ...samples);
    const res = {
      uploads: o.rssConcurrent,
      bytes: o.rssBytes,
      samples: samples.length,
      seconds: round(ms / 1000, 1),
      mb_per_s: rate(o.rssBytes * o.rssConcurrent, ms),
      baseline_mb: mb(baseline),
      peak_mb: mb(peak),
      growth_mb: mb(peak - baseline),
      after_mb: mb(after),
    };
    log(`  ${o.rssConcurrent} parallel uploads of ${mb(o.rssBytes)} MB in ${res.seconds} s: RSS ${res.baseline_mb} -> peak ${res.peak_mb} MB (growth ${res.growth_mb} MB; ${samples.length} samples)`);
    return res;
  } finally {
    parallel.close();
  }
}

// --- 8c. serving ----------------------------------------------------------------------------------------

/** Starts a ceiling server (`static-server.js` or `upload-sink.js`, given a directory) as its own process. */
async function startCeilingProcess(script, dir) {
  const port = 5900 + Math.floor(Math.random() * 300);
  const child = track(spawn(process.execPath, [join(root, 'bench', 'src', script), String(port), dir], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const ready = once(child.stdout, 'data');
  const exited = once(child, 'exit').then(() => {
    throw new Error(`${script} exited during start`);
  });
  const [line] = await Promise.race([ready, exited, sleep(30_000).then(() => [''])]);
  if (!String(line).includes('ready')) {
    child.kill('SIGKILL');
    throw new Error(`${script} did not start`);
  }
  return {
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      const done = once(child, 'exit');
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
  };
}

/**
 * `viewers` keep-alive clients each GET `path` again and again for `ms`: total MB/s. Every response must be
 * a 200 with exactly `bytes` bytes; anything else counts as an error.
 */
async function viewersFetch(base, path, viewers, ms, bytes) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: viewers });
  const { hostname, port } = new URL(base);
  const latencies = [];
  let received = 0;
  let errors = 0;
  let firstError;
  const one = () =>
    new Promise((resolve) => {
      const t0 = now();
      let got = 0;
      const fail = (why) => {
        errors++;
        firstError ??= why;
        resolve();
      };
      const req = http.get({ host: hostname, port, path, agent, timeout: 30_000 }, (res) => {
        res.on('data', (c) => (got += c.length));
        res.on('error', (e) => fail(e.message));
        res.on('end', () => {
          received += got;
          if (res.statusCode !== 200 || got !== bytes) fail(`${res.statusCode}, ${got} bytes`);
          else {
            latencies.push(now() - t0);
            resolve();
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('no reply in 30 s')));
      req.on('error', (e) => fail(e.message));
    });
  const t0 = now();
  const deadline = t0 + ms;
  await Promise.all(
    Array.from({ length: viewers }, async () => {
      while (now() < deadline) await one();
    }),
  );
  const elapsed = now() - t0;
  agent.destroy();
  return { requests: latencies.length, errors, first_error: firstError, seconds: round(elapsed / 1000, 1), mb_per_s: rate(received, elapsed), latency_ms: summarize(latencies) };
}

/** A photo served by the server (signed URL, no auth header) vs the same bytes from @fastify/static. */
async function serving(o, base, client, jpeg, staticDir, log) {
  const att = created(await client.post(jpeg, 'served.jpg', 'image/jpeg'), undefined, 'served.jpg');
  const first = await getOnce(base, att.url);
  if (first.status !== 200) throw new Error(`GET of the photo's URL: ${first.status} ${first.body.toString().slice(0, 200)}`);
  const bytes = first.body.length;
  writeFileSync(join(staticDir, 'photo.jpg'), first.body);
  const statik = await startCeilingProcess('static-server.js', staticDir);
  const runs = { server: [], static: [] };
  try {
    const check = await getOnce(statik.base, '/photo.jpg');
    if (check.status !== 200 || !check.body.equals(first.body)) throw new Error(`@fastify/static served ${check.status}, ${check.body.length} bytes`);
    // A short unmeasured round each first: the ceiling's process is fresh, the server has been working.
    await viewersFetch(base, att.url, o.viewers, o.serveMs / 3, bytes);
    await viewersFetch(statik.base, '/photo.jpg', o.viewers, o.serveMs / 3, bytes);
    // Rounds take turns, each starting with the other side.
    await takingTurns(
      [
        ['server', async () => runs.server.push(await viewersFetch(base, att.url, o.viewers, o.serveMs, bytes))],
        ['static', async () => runs.static.push(await viewersFetch(statik.base, '/photo.jpg', o.viewers, o.serveMs, bytes))],
      ],
      o.serveRounds,
    );
  } finally {
    await statik.stop();
  }
  const sum = (list) => {
    const seconds = list.reduce((a, x) => a + x.seconds, 0);
    // The median of the rounds, as for uploads: one spike of other work on the machine must not decide it.
    const mbs = median(list.map((x) => x.mb_per_s));
    return {
      requests: list.reduce((a, x) => a + x.requests, 0),
      errors: list.reduce((a, x) => a + x.errors, 0),
      first_error: list.find((x) => x.first_error)?.first_error,
      seconds: round(seconds, 1),
      mb_per_s: round(mbs, 1),
      rounds_mb_per_s: list.map((x) => x.mb_per_s),
      latency_p50_ms: list[0].latency_ms.p50,
      latency_p99_ms: Math.max(...list.map((x) => x.latency_ms.p99 ?? 0)),
    };
  };
  const res = { bytes, viewers: o.viewers, rounds: o.serveRounds, headers: { etag: first.headers.etag ?? null, 'cache-control': first.headers['cache-control'] ?? null, 'accept-ranges': first.headers['accept-ranges'] ?? null }, server: sum(runs.server), static: sum(runs.static) };
  res.ratio = round(res.server.mb_per_s / res.static.mb_per_s, 3);
  log(`  serving ${mb(bytes)} MB to ${o.viewers} viewers: server ${res.server.mb_per_s} MB/s, @fastify/static ${res.static.mb_per_s} MB/s`);
  if (res.server.errors > 0) throw new Error(`serving: ${res.server.errors} failed GETs of the server (${res.server.first_error})`);
  if (res.static.errors > 0) throw new Error(`serving: ${res.static.errors} failed GETs of @fastify/static (${res.static.first_error})`);
  return res;
}

// --- 8d. thumbnails -------------------------------------------------------------------------------------

/** The pixel limit the bench gives both sides (the server's default, FAMICHAT_IMAGE_MAX_PIXELS). */
const MAX_PIXELS = 100_000_000;

/**
 * The ceiling: plain sharp producing what the server stores for a JPEG (server/src/media/images.ts): the
 * copy with orientation applied and metadata removed (ICC profile kept), re-encoded as JPEG quality 85, and
 * a WebP thumbnail (quality 80) at most 640 px on its longer side, both from the file, at the same time.
 */
function sharpAlone(sharp) {
  return async (path) => {
    const options = { limitInputPixels: MAX_PIXELS, failOn: 'error' };
    const [stored, thumbnail] = await Promise.all([
      sharp(path, options).rotate().keepIccProfile().jpeg({ quality: 85 }).toBuffer({ resolveWithObject: true }),
      sharp(path, options).rotate().resize(640, 640, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toBuffer(),
    ]);
    return { width: stored.info.width, height: stored.info.height, thumbnail };
  };
}

/** The server's own image function (`processImage(path, mime, maxPixels)` from server/dist), or null when this build has none. */
async function serverPipeline() {
  const file = join(root, 'server', 'dist', 'media', 'images.js');
  if (!existsSync(file)) return null;
  const { processImage } = await import(pathToFileURL(file).href);
  if (typeof processImage !== 'function') return null;
  return (path) => processImage(path, 'image/jpeg', MAX_PIXELS);
}

/** p50/p99 of the server's image processing of a JPEG vs sharp alone, in this process, taking turns. */
async function thumbnails(o, jpeg, dir, log) {
  const sharp = fromServer('sharp');
  // libvips's operation cache would answer repeated runs on the same file from memory: every run decodes.
  sharp.cache(false);
  const path = join(dir, 'photo-12mp.jpg');
  writeFileSync(path, jpeg);
  const alone = sharpAlone(sharp);
  const server = await serverPipeline();
  const sharpMs = [];
  const serverMs = [];
  // Both sides must produce the same image: dimensions swapped by the EXIF orientation, a thumbnail.
  const ceilingOut = await alone(path);
  if (server) {
    const serverOut = await server(path);
    if (serverOut.width !== ceilingOut.width || serverOut.height !== ceilingOut.height || !(serverOut.thumbnail?.length > 0)) {
      throw new Error(`the server's image function made ${serverOut.width}x${serverOut.height}, sharp alone ${ceilingOut.width}x${ceilingOut.height}`);
    }
  }
  for (let i = 0; i < o.thumbnailRuns; i++) {
    // Taking turns, and alternating which goes first, so a disturbance falls on both alike.
    const pair = i % 2 === 0 ? [[alone, sharpMs], [server, serverMs]] : [[server, serverMs], [alone, sharpMs]];
    for (const [fn, list] of pair) {
      if (!fn) continue;
      const t0 = now();
      await fn(path);
      list.push(now() - t0);
    }
  }
  const res = {
    megapixels: round((o.jpeg.width * o.jpeg.height) / 1e6, 1),
    bytes: jpeg.length,
    runs: o.thumbnailRuns,
    sharp_concurrency: sharp.concurrency(),
    output: { width: ceilingOut.width, height: ceilingOut.height },
    sharp_ms: summarize(sharpMs),
    server_ms: server ? summarize(serverMs) : null,
  };
  res.ratio_p50 = server ? round(res.server_ms.p50 / res.sharp_ms.p50, 3) : null;
  res.ratio_p99 = server ? round(res.server_ms.p99 / res.sharp_ms.p99, 3) : null;
  log(`  thumbnail of ${res.megapixels} MP: sharp alone p50/p99 ${res.sharp_ms.p50} / ${res.sharp_ms.p99} ms; server ${server ? `${res.server_ms.p50} / ${res.server_ms.p99} ms` : 'function not available'}`);
  return res;
}
