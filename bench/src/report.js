// Renders the JSON report as Markdown: every figure next to its ceiling from the same run, as a ratio.

const f = (x, unit = '') => (x === null || x === undefined || Number.isNaN(x) ? '—' : `${x}${unit}`);
const ratio = (a, b) => (a && b ? `${Math.round((a / b) * 1000) / 1000}` : '—');
/** The media targets as [name, measured, met (null: not judged)], shared by the bench's log and the report. */
export function mediaTargets(m) {
  const t = [];
  const mbOf = (b) => Math.round(b / 1e5) / 10;
  const u = m.upload;
  if (u && !u.error) {
    t.push([`upload of a ${mbOf(u.big.bytes)} MB file ≥ 80% of the disk write`, `${u.big.server_mb_per_s} of ${u.big.disk_mb_per_s} MB/s (${u.big.ratio})`, u.big.ratio >= 0.8]);
    t.push([`upload of ${u.photos.count} × ${mbOf(u.photos.bytes)} MB files ≥ 80% of the disk write`, `${u.photos.server_mb_per_s} of ${u.photos.disk_mb_per_s} MB/s (${u.photos.ratio})`, u.photos.ratio >= 0.8]);
  }
  const r = m.rss;
  if (r && !r.error) t.push([`server RSS growth < 64 MB during ${r.uploads} parallel uploads of ${mbOf(r.bytes)} MB`, `${r.growth_mb} MB`, r.growth_mb < 64]);
  const th = m.thumbnail;
  if (th && !th.error) {
    const judged = th.server_ms !== null && th.server_ms !== undefined;
    for (const k of ['p50', 'p99']) {
      t.push([`image processing of a ${th.megapixels} MP JPEG, ${k} ≤ 1.2× sharp alone`, judged ? `${th.server_ms[k]} vs ${th.sharp_ms[k]} ms (${th[`ratio_${k}`]}×)` : 'the server function was not available', judged ? th[`ratio_${k}`] <= 1.2 : null]);
    }
  }
  const sv = m.serve;
  if (sv && !sv.error) t.push([`serving a ${mbOf(sv.bytes)} MB photo to ${sv.viewers} viewers ≥ 80% of @fastify/static`, `${sv.server.mb_per_s} of ${sv.static.mb_per_s} MB/s (${sv.ratio})`, sv.ratio >= 0.8]);
  return t;
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const mark = (ok) => (ok === null ? '—' : ok ? 'met' : '**missed**');

/** Highest offered rate the server kept up with: every message acked (ack p99 under 1 s), none lost, no errors. */
export const sustained = (steps) =>
  Math.max(0, ...steps.filter((x) => x.lost === 0 && x.errors === 0 && x.duplicates === 0 && (x.ack_ms.p99 ?? Infinity) < 1000 && x.acked === x.sent).map((x) => x.achieved_send_rate));

/** @param {any} r the JSON report */
export function renderMarkdown(r) {
  const out = [];
  const p = (line = '') => out.push(line);
  p(`# Famichat benchmark (${r.mode})`);
  p();
  p(`- Started ${r.started_at}, took ${r.seconds} s. Commit \`${r.commit}\`${r.dirty ? ' (with uncommitted changes)' : ''}.`);
  p(`- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memory_gb} GB, Linux ${r.machine.kernel}, Node ${r.machine.node}, open-files limit ${r.machine.fd_limit}. Load average (1/5/15 min) at start ${r.machine.load_average_at_start?.join(' / ')}, at end ${r.machine.load_average_at_end?.join(' / ')}: anything above the core count means other work shared the machine during the run.`);
  p(`- ${r.note}`);
  p(`- Problems (errors, lost or duplicated messages): ${r.problems.length === 0 ? 'none' : ''}`);
  for (const x of r.problems) p(`  - ${x}`);
  if (r.findings?.length) {
    p('- Findings (error replies while the server was overloaded, reported but not failing the run):');
    for (const x of r.findings) p(`  - ${x}`);
  }
  p();
  const t = [];
  const s = r.scenarios;

  if (s.send) {
    p(`## 1. ${s.send.title}`);
    if (s.send.error) p(`Failed: \`${s.send.error.split('\n')[0]}\``);
    else {
      const o = s.send.settings;
      p(`${o.families * o.size} sockets in ${o.families} family conversations of ${o.size}; every message is tracked to its ack and to its delivery on all ${o.size} members' sockets. Steps of ${o.stepMs / 1000} s.`);
      p();
      const fx = s.send.server.fixed;
      const rf = s.send.relay.fixed;
      p(`At the fixed offered rate of ${o.fixedRate} msg/s:`);
      p();
      p('| figure | Famichat | bare ws relay (ceiling) | ratio |');
      p('|---|---|---|---|');
      for (const k of ['p50', 'p95', 'p99']) p(`| send→ack ${k} (ms) | ${f(fx.ack_ms[k])} | ${f(rf.ack_ms[k])} | ${ratio(fx.ack_ms[k], rf.ack_ms[k])} |`);
      for (const k of ['p50', 'p95', 'p99']) p(`| send→delivered-to-all ${k} (ms) | ${f(fx.delivered_all_ms[k])} | ${f(rf.delivered_all_ms[k])} | ${ratio(fx.delivered_all_ms[k], rf.delivered_all_ms[k])} |`);
      p(`| deliveries/s | ${f(fx.deliveries_per_s)} | ${f(rf.deliveries_per_s)} | ${ratio(fx.deliveries_per_s, rf.deliveries_per_s)} |`);
      p();
      p('Stepping up:');
      p();
      p('| offered msg/s | sent/s | ack p50/p99 (ms) | delivered p50/p95/p99 (ms) | deliveries/s | lost | dup | errors |');
      p('|---|---|---|---|---|---|---|---|');
      for (const x of s.send.server.steps) p(`| ${x.offered_rate} | ${x.achieved_send_rate} | ${f(x.ack_ms.p50)} / ${f(x.ack_ms.p99)} | ${f(x.delivered_all_ms.p50)} / ${f(x.delivered_all_ms.p95)} / ${f(x.delivered_all_ms.p99)} | ${x.deliveries_per_s} | ${x.lost} | ${x.duplicates} | ${x.errors} |`);
      p();
      p('Ceiling, bare ws relay (same client, same sockets):');
      p();
      p('| offered msg/s | sent/s | ack p99 (ms) | delivered p99 (ms) | deliveries/s |');
      p('|---|---|---|---|---|');
      for (const x of s.send.relay.steps) p(`| ${x.offered_rate} | ${x.achieved_send_rate} | ${f(x.ack_ms.p99)} | ${f(x.delivered_all_ms.p99)} | ${x.deliveries_per_s} |`);
      p();
      const raw = s.send.raw_pg;
      p('| figure | Famichat | ceiling | ratio |');
      p('|---|---|---|---|');
      p(`| highest rate with p99 delivery < 50 ms (msg/s) | ${f(s.send.server.max_rate_p99_under_50ms)} | ${f(s.send.relay.max_rate_p99_under_50ms)} (relay) | ${ratio(s.send.server.max_rate_p99_under_50ms, s.send.relay.max_rate_p99_under_50ms)} |`);
      const best = raw?.batched ?? raw;
      p(`| sustained durable messages/s (every send acked, ack p99 < 1 s) | ${f(sustained(s.send.server.steps))} | ${f(best?.messages_per_s ?? best?.statements_per_s)} (raw PostgreSQL, the server's statement, pool of 10, ${best?.batch ?? 1} messages per statement) | ${ratio(sustained(s.send.server.steps), best?.messages_per_s ?? best?.statements_per_s)} |`);
      if (raw?.single) p(`| raw PostgreSQL, one message per statement (${raw.single.concurrency} in flight) | | ${f(raw.single.messages_per_s)} messages/s, p99 ${f(raw.single.latency_ms.p99)} ms | |`);
      p(`| peak deliveries/s | ${f(s.send.server.peak_deliveries_per_s)} | ${f(s.send.relay.peak_deliveries_per_s)} (relay) | ${ratio(s.send.server.peak_deliveries_per_s, s.send.relay.peak_deliveries_per_s)} |`);
      p();
      t.push(['≥ 3,000 durable messages/s over WebSocket', `${sustained(s.send.server.steps)}/s sustained`, sustained(s.send.server.steps) >= 3000]);
      const at1000 = [fx, ...s.send.server.steps].find((x) => x.offered_rate === 1000);
      t.push(['p99 send→delivery < 50 ms at 1,000 msg/s', at1000 ? `${at1000.delivered_all_ms.p99} ms` : 'not measured', at1000 ? at1000.delivered_all_ms.p99 < 50 && at1000.lost === 0 : null]);
    }
  }

  if (s.fanout) {
    p(`## 2. ${s.fanout.title}`);
    if (s.fanout.error) p(`Failed: \`${s.fanout.error.split('\n')[0]}\``);
    else {
      p(`One family conversation with ${s.fanout.settings.members} connected members; each message goes to all of them.`);
      p();
      p('| offered msg/s | sent/s | deliveries/s | delivered-to-all p50/p99 (ms) | lost | dup |');
      p('|---|---|---|---|---|---|');
      for (const x of s.fanout.server.steps) p(`| ${x.offered_rate} | ${x.achieved_send_rate} | ${x.deliveries_per_s} | ${f(x.delivered_all_ms.p50)} / ${f(x.delivered_all_ms.p99)} | ${x.lost} | ${x.duplicates} |`);
      p();
      p('Ceiling, bare ws relay:');
      p();
      p('| offered msg/s | sent/s | deliveries/s | delivered-to-all p50/p99 (ms) |');
      p('|---|---|---|---|');
      for (const x of s.fanout.relay.steps) p(`| ${x.offered_rate} | ${x.achieved_send_rate} | ${x.deliveries_per_s} | ${f(x.delivered_all_ms.p50)} / ${f(x.delivered_all_ms.p99)} |`);
      p();
      p(`Peak deliveries/s: Famichat ${s.fanout.server.peak_deliveries_per_s}, relay ${s.fanout.relay.peak_deliveries_per_s}, ratio ${ratio(s.fanout.server.peak_deliveries_per_s, s.fanout.relay.peak_deliveries_per_s)}.`);
      p();
      t.push(['fan-out ≥ 100,000 deliveries/s', `${s.fanout.server.peak_deliveries_per_s}/s`, s.fanout.server.peak_deliveries_per_s >= 100_000]);
    }
  }

  if (s.http) {
    p(`## 3. ${s.http.title}`);
    if (s.http.error) p(`Failed: \`${s.http.error.split('\n')[0]}\``);
    else {
      p(`autocannon, ${s.http.settings.seconds} s per run; each request a POST from one of ${s.http.settings.families * s.http.settings.size} users into their family conversation. Ceiling: \`GET /healthz\` on the same server at the same concurrency.`);
      p();
      p('| concurrency | send req/s | send p50/p99 (ms) | /healthz req/s | /healthz p99 (ms) | ratio (req/s) | non-2xx |');
      p('|---|---|---|---|---|---|---|');
      for (const x of s.http.results) p(`| ${x.concurrency} | ${x.send.requests_per_s} | ${x.send.p50_ms} / ${x.send.p99_ms} | ${x.healthz.requests_per_s} | ${x.healthz.p99_ms} | ${x.ratio} | ${x.send.non2xx} |`);
      p();
    }
  }

  if (s.connections) {
    p(`## 4. ${s.connections.title}`);
    if (s.connections.error) p(`Failed: \`${s.connections.error.split('\n')[0]}\``);
    else {
      p(`Authenticated idle sockets, each joined to \`user:<id>\`, \`family:<id>\` (presence) and its family conversation, opened from ${s.connections.settings.workers} client processes over 127.0.0.1-4. Server RSS is read after a full garbage collection (asked of the server's inspector), so KB/socket is what a socket keeps, not the join's garbage. Then every socket drops, one message lands in every conversation, and all return with \`after_seq\`.`);
      p();
      p('| sockets | connected | join all (s) | join p99 (ms) | server RSS before → after (MB) | KB/socket | storm: back and caught up (s) | storm errors | not caught up |');
      p('|---|---|---|---|---|---|---|---|---|');
      for (const x of s.connections.results) p(`| ${x.sockets}${x.sockets < x.wanted ? ` (of ${x.wanted})` : ''} | ${x.connected} | ${x.join_all_s} | ${x.join_ms_p99_worst_worker} | ${x.rss_before_mb} → ${x.rss_after_mb} | ${x.kb_per_socket} | ${x.storm_all_back_s} | ${x.storm_errors} | ${x.storm_missing_catch_up} |`);
      p();
      const biggest = s.connections.results.at(-1);
      if (biggest) t.push([`idle sockets ≤ 20 KB each (at 20,000)`, `${biggest.kb_per_socket} KB at ${biggest.connected}`, biggest.wanted === 20000 && biggest.connected >= 19_000 ? biggest.kb_per_socket <= 20 : null]);
    }
  }

  if (s.history) {
    p(`## 5. ${s.history.title}`);
    if (s.history.error) p(`Failed: \`${s.history.error.split('\n')[0]}\``);
    else {
      const h = s.history;
      p(`One conversation bulk-loaded with ${h.deep.depth} messages (${h.bulk_load_s} s), another with ${h.shallow.depth}; ${h.settings.requests} sequential requests per page (the six pages taking turns) of 50 messages over an HTTP keep-alive connection (node:http), timed by the client from request to the last byte of the response; "server" is the response's own \`meta.duration_ms\`. Ceiling: the same page at depth ${h.shallow.depth}.`);
      p();
      const srv = (x) => (x.server_ms ? `${x.server_ms.p50} / ${x.server_ms.p99}` : '—');
      p(`| page | depth ${h.deep.depth} p50/p99 (ms) | server p50/p99 (ms) | depth ${h.shallow.depth} p50/p99 (ms) | server p50/p99 (ms) | ratio (p99) |`);
      p('|---|---|---|---|---|---|');
      for (const n of ['latest', 'middle', 'early']) p(`| ${n} | ${h.deep[n].p50} / ${h.deep[n].p99} | ${srv(h.deep[n])} | ${h.shallow[n].p50} / ${h.shallow[n].p99} | ${srv(h.shallow[n])} | ${h.ratio_p99[n]} |`);
      p();
      const worst = Math.max(...['latest', 'middle', 'early'].map((n) => h.deep[n].p99));
      const worstRatio = Math.max(...Object.values(h.ratio_p99));
      t.push([`history page p99 < 5 ms at depth ${h.deep.depth}`, `${worst} ms`, h.deep.depth >= 1_000_000 ? worst < 5 : null]);
      t.push(['history p99 ≤ 1.5× depth 1,000', `${worstRatio}×`, worstRatio <= 1.5]);
    }
  }

  if (s.footprint) {
    p(`## 6. ${s.footprint.title}`);
    if (s.footprint.error) p(`Failed: \`${s.footprint.error.split('\n')[0]}\``);
    else {
      const fp = s.footprint;
      p('| database | RSS after start (MB) | RSS idle with 100 sockets (MB) |');
      p('|---|---|---|');
      p(`| PostgreSQL | ${fp.postgres.after_start_mb} | ${fp.postgres.idle_100_sockets_mb} |`);
      p(`| embedded (PGlite), first start (creates the database) | ${fp.pglite.after_start_mb} | ${fp.pglite.idle_100_sockets_mb} |`);
      if (fp.pglite.after_restart_mb !== undefined) p(`| embedded (PGlite), restarted on its data | ${fp.pglite.after_restart_mb} | |`);
      p();
      p(`Steady load (PostgreSQL): ${fp.steady.rate} msg/s for ${fp.steady.seconds} s over the 100 sockets (${fp.steady.sent} sent, ${fp.steady.lost} lost, p99 delivery ${fp.steady.delivered_p99_ms} ms): RSS ${fp.steady.rss_before_mb} → ${fp.steady.rss_after_mb} MB (growth ${fp.steady.growth_mb} MB).`);
      p();
      p('PostgreSQL sockets belong to 100 users in 20 families; on PGlite they are 100 sockets of the one admin created through `POST /api/v1/setup` (the embedded database cannot be seeded from outside the server process).');
      p();
    }
  }

  if (s.register) {
    p(`## 7. ${s.register.title}`);
    if (s.register.error) p(`Failed: \`${s.register.error.split('\n')[0]}\``);
    else {
      const o = s.register.settings;
      p(`One client logs in over and over (each login verifies an argon2id hash): alone for ${o.baselineMs / 1000} s (the ceiling), then while ${o.clients} connections post registrations with bogus invite tokens for ${o.floodSeconds} s, all from one address. With the failed-registration limit raised, every bogus registration reaches the invite check, which comes before any password hashing; with the defaults (20 failures per address per 15 min), the limit answers the rest of the flood with 429. Second ceiling: login under the same flood of \`GET /healthz\`, the cheapest request there is.`);
      p();
      p('| run | login p50 / p99 alone (ms) | login p50 / p99 under flood (ms) | p99 ratio | flood req/s | 410 | 429 | other |');
      p('|---|---|---|---|---|---|---|---|');
      for (const x of s.register.runs) {
        p(`| ${x.label} | ${f(x.login_alone_ms.p50)} / ${f(x.login_alone_ms.p99)} | ${f(x.login_under_flood_ms.p50)} / ${f(x.login_under_flood_ms.p99)} | ${f(x.ratio_p99)} | ${f(x.flood.requests_per_s)} | ${x.flood.gone_410} | ${x.flood.rate_limited_429} | ${x.flood.other} |`);
        if (x.login_under_healthz_flood_ms) p(`| ${x.label}: \`GET /healthz\` flood (ceiling) | | ${f(x.login_under_healthz_flood_ms.p50)} / ${f(x.login_under_healthz_flood_ms.p99)} | ${ratio(x.login_under_healthz_flood_ms.p99, x.login_alone_ms.p99)} | ${f(x.healthz_flood_requests_per_s)} | | | |`);
      }
      p();
    }
  }

  if (s.media) {
    p(`## 8. ${s.media.title}`);
    if (s.media.error) p(`Failed: \`${s.media.error.split('\n')[0]}\``);
    else {
      const m = s.media;
      const mbOf = (b) => Math.round(b / 1e5) / 10;
      const para = (line) => (p(line), p());
      if (m.run) para(`Measured in a separate run (\`--only=media\`), started ${m.run.started_at}, commit \`${m.run.commit}\`${m.run.dirty ? ' (with uncommitted changes)' : ''}, load average at start ${m.run.load_average_at_start?.join(' / ')}, at end ${m.run.load_average_at_end?.join(' / ')}.`);
      const load = m.run?.load_average_at_start?.[0] ?? r.machine.load_average_at_start?.[0];
      if (load > r.machine.cores) para(`**The load average was ${load} on ${r.machine.cores} cores when this section started**: other work shared the machine, and these figures can differ severalfold from one run to the next (every round is in the JSON).`);
      p('One server (`server/dist/main.js`, its own PostgreSQL database, data and media directories in a temporary directory) and the bench on the same machine, over loopback. 1 MB = 1,000,000 bytes.');
      p();
      const failed = (x) => (x?.error ? `failed: \`${x.error.split('\n')[0]}\`` : null);
      const u = m.upload;
      if (u) {
        p('Uploads (`POST /api/v1/uploads`, raw body streamed in 64 KiB chunks over one keep-alive connection, one at a time). Ceiling: the same bytes written by the bench process to a file in the media directory with a file stream in 64 KiB chunks, then `fsync`ed (the server also `fsync`s before it answers). Second ceiling, the transport alone: a bare `node:http` server (`src/upload-sink.js`, its own process) streaming each body to a file in the same directory and `fsync`ing it. Rounds take turns, each starting with the next side, after one warm-up upload each; each figure is the median of its rounds (every round is in the JSON).');
        p();
        if (failed(u)) p(failed(u));
        else {
          p('| upload | Famichat (MB/s) | disk write + fsync (MB/s) | ratio | bare node:http + fsync (MB/s) | ratio |');
          p('|---|---|---|---|---|---|');
          p(`| 1 × ${mbOf(u.big.bytes)} MB of random bytes (stored as \`file\`, fetched back identical), median of ${plural(u.big.rounds, 'round')} | ${f(u.big.server_mb_per_s)} | ${f(u.big.disk_mb_per_s)} | ${f(u.big.ratio)} | ${f(u.big.http_sink_mb_per_s)} | ${f(u.big.ratio_http_sink)} |`);
          p(`| ${u.photos.count} × ${mbOf(u.photos.bytes)} MB of random bytes, one after another, median of ${plural(u.photos.rounds, 'round')} | ${f(u.photos.server_mb_per_s)} (p50 ${f(u.photos.server_upload_ms.p50)} ms each${u.photos.server_own_ms?.p50 ? `, of which ${f(u.photos.server_own_ms.p50)} ms in the server by its own \`meta.duration_ms\`` : ''}) | ${f(u.photos.disk_mb_per_s)} | ${f(u.photos.ratio)} | ${f(u.photos.http_sink_mb_per_s)} | ${f(u.photos.ratio_http_sink)} |`);
          p(`| ${u.jpeg.count} × a ${u.jpeg.width}×${u.jpeg.height} JPEG of ${mbOf(u.jpeg.bytes)} MB (the server reads it with sharp: orientation, metadata, thumbnail) | ${f(u.jpeg.mb_per_s)} (p50 ${f(u.jpeg.upload_ms.p50)} ms each${u.jpeg.server_own_ms?.p50 ? `, ${f(u.jpeg.server_own_ms.p50)} ms in the server` : ''}; a raw file that size ~${f(u.jpeg.raw_same_size_ms)} ms) | no ceiling | | | |`);
          p();
        }
      }
      const rs = m.rss;
      if (rs) {
        p('Server memory while uploads run at once, measured first, after one upload of the same size alone (VmRSS of the server process, sampled every 50 ms; baseline: the highest of 10 samples just before).');
        p();
        if (failed(rs)) p(failed(rs));
        else {
          p('| uploads at once | total (MB/s) | RSS baseline (MB) | peak (MB) | growth (MB) | 0.5 s after (MB) |');
          p('|---|---|---|---|---|---|');
          p(`| ${rs.uploads} × ${mbOf(rs.bytes)} MB | ${f(rs.mb_per_s)} | ${f(rs.baseline_mb)} | ${f(rs.peak_mb)} | ${f(rs.growth_mb)} | ${f(rs.after_mb)} |`);
          p();
        }
        if (m.server_rss_along) {
          p(`Server RSS along the section (MB): ${m.server_rss_along.map((x) => `${x.at} ${x.rss_mb}`).join('; ')}.`);
          p();
        }
      }
      const th = m.thumbnail;
      if (th) {
        p(`Image processing of a ${th?.megapixels ?? ''} MP JPEG: the server's own function (imported from \`server/dist/media/images.js\`) vs plain sharp doing the same operations, in the bench process, taking turns (${th?.runs ?? ''} runs each after a warm-up; sharp concurrency ${th?.sharp_concurrency ?? ''}).`);
        p();
        if (failed(th)) p(failed(th));
        else {
          p('| figure | Famichat | sharp alone (ceiling) | ratio |');
          p('|---|---|---|---|');
          for (const k of ['p50', 'p99']) p(`| ${k} (ms) | ${f(th.server_ms?.[k])} | ${f(th.sharp_ms[k])} | ${f(th[`ratio_${k}`])} |`);
          p();
        }
      }
      const sv = m.serve;
      if (sv) {
        p(`Serving a photo: ${sv?.viewers ?? ''} keep-alive clients each GET the same photo again and again (the server: its signed URL, no Authorization header, each GET re-checks access; the ceiling: \`@fastify/static\` serving the same bytes from a minimal Fastify app in its own process). Same client code, ${plural(sv?.rounds ?? 0, 'round')} of ${m.settings.serveMs / 1000} s each, taking turns (each round starting with the other side) after an unmeasured warm-up round each; MB/s is the median of the rounds.`);
        p();
        if (failed(sv)) p(failed(sv));
        else {
          p('| figure | Famichat | @fastify/static (ceiling) | ratio |');
          p('|---|---|---|---|');
          p(`| MB/s (${mbOf(sv.bytes)} MB photo) | ${f(sv.server.mb_per_s)} | ${f(sv.static.mb_per_s)} | ${f(sv.ratio)} |`);
          p(`| responses | ${sv.server.requests} in ${sv.server.seconds} s | ${sv.static.requests} in ${sv.static.seconds} s | |`);
          p(`| latency p50 / p99 (ms) | ${f(sv.server.latency_p50_ms)} / ${f(sv.server.latency_p99_ms)} | ${f(sv.static.latency_p50_ms)} / ${f(sv.static.latency_p99_ms)} | |`);
          p();
          p(`The server's response headers: ETag ${sv.headers.etag ? 'yes' : 'none'}, Cache-Control \`${sv.headers['cache-control'] ?? 'none'}\`, Accept-Ranges \`${sv.headers['accept-ranges'] ?? 'none'}\`.`);
          p();
        }
      }
      t.push(...mediaTargets(m));
    }
  }

  p('## Targets');
  p();
  p('| target | measured | |');
  p('|---|---|---|');
  for (const [name, value, ok] of t) p(`| ${name} | ${value} | ${r.mode === 'quick' ? '—' : mark(ok)} |`);
  p();
  p('A --quick run judges no target (it is too small). "—" means this run could not judge the target (the limit of the machine was hit, or the run was too small). Speed never fails the run.');
  return out.join('\n') + '\n';
}
