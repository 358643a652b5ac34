// What a family does first with a fresh deployment, through its published port only (used by
// scripts/check-deploy.sh against the real `docker compose` deployment):
//   node scripts/deploy-smoke.js first-use URL STATE_FILE    setup, invite, register, a message over HTTP and
//                                                             one over the WebSocket, /readyz; writes STATE_FILE
//   node scripts/deploy-smoke.js still-there URL STATE_FILE  after a restart: both messages and the sessions are kept
//   node scripts/deploy-smoke.js across URL_NODE1 URL_NODE2  a message sent through node 1 reaches a socket on node 2
//   node scripts/deploy-smoke.js ready URL                   waits until /readyz answers 200 (60 s at most)
// Exits non-zero with a clear message on the first thing that is wrong.
import { readFileSync, writeFileSync } from 'node:fs';
import { WebSocket } from 'ws';

const [command, first, second] = process.argv.slice(2);
const password = 'correct horse battery';

function fail(message) {
  console.error(`deploy-smoke: ${message}`);
  process.exit(1);
}

/** fetch with a time limit whose timer keeps the process alive (AbortSignal.timeout's does not). */
async function fetchWithin(url, init, ms) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url} within ${ms} ms`)), ms);
  try {
    const res = await fetch(url, { ...init, signal: controller.signal });
    return { status: res.status, text: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}

/** A JSON request; fails the run unless the status is `expected`. */
async function api(base, method, path, { token, body, expected }) {
  const res = await fetchWithin(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  }, 15_000);
  const text = res.text;
  if (res.status !== expected) fail(`${method} ${path}: expected ${expected}, got ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text).data : undefined;
}

/** A Phoenix v2 socket with a `request(topic, event, payload)` that resolves with the reply, and `next(event)`. */
async function phoenix(base, token) {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/socket/websocket?vsn=2.0.0&token=${token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`socket upgrade refused: ${res.statusCode}`)));
  });
  let ref = 0;
  const replies = new Map();
  const events = [];
  const waiting = [];
  ws.on('message', (data) => {
    const [, replyRef, , event, payload] = JSON.parse(data.toString());
    if (event === 'phx_reply') replies.get(replyRef)?.(payload);
    else {
      events.push({ event, payload });
      for (const wake of waiting.splice(0)) wake();
    }
  });
  const request = (topic, event, payload) =>
    new Promise((resolve, reject) => {
      const id = String(++ref);
      const timer = setTimeout(() => reject(new Error(`no reply to ${event} on ${topic}`)), 15_000);
      replies.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      ws.send(JSON.stringify([topic === 'phoenix' ? null : '1', id, topic, event, payload]));
    });
  const next = async (event) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const index = events.findIndex((e) => e.event === event);
      if (index >= 0) return events.splice(index, 1)[0].payload;
      if (Date.now() > deadline) fail(`no ${event} arrived within 15 s`);
      await new Promise((resolve) => {
        waiting.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  };
  return { request, next, close: () => ws.close() };
}

/** Waits until /readyz answers 200 (a restarted container's port accepts connections before the app listens). */
async function ready(base) {
  const deadline = Date.now() + 60_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetchWithin(`${base}/readyz`, {}, 2_000);
      if (res.status === 200) return;
      last = `${res.status} ${res.text.slice(0, 200)}`;
    } catch (error) {
      last = String(error?.message ?? error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  fail(`${base}/readyz did not answer 200 within 60 s (last: ${last})`);
}

async function firstUse(base, stateFile) {
  const ready = await api(base, 'GET', '/readyz', { expected: 200 });
  if (ready.checks?.database !== 'ok' || ready.checks?.bus !== 'ok') fail(`/readyz: ${JSON.stringify(ready)}`);
  const setup = await api(base, 'POST', '/api/v1/setup', {
    body: { username: 'grandma', password, display_name: 'Grandma', family_name: 'The Deployers' },
    expected: 201,
  });
  const family = setup.family.id;
  const invite = await api(base, 'POST', `/api/v1/families/${family}/invites`, { token: setup.token, body: { role: 'member' }, expected: 201 });
  const member = await api(base, 'POST', '/api/v1/auth/register', {
    body: { invite_token: invite.token, username: 'kid', password, display_name: 'Kid' },
    expected: 201,
  });
  const conversation = (await api(base, 'GET', `/api/v1/families/${family}`, { token: setup.token, expected: 200 })).conversation_id;
  const http = await api(base, 'POST', `/api/v1/conversations/${conversation}/messages`, {
    token: setup.token,
    body: { body: 'sent over HTTP' },
    expected: 201,
  });
  const socket = await phoenix(base, member.token);
  const joined = await socket.request(`message:family:${conversation}`, 'phx_join', { after_seq: 0 });
  if (joined.status !== 'ok' || joined.response.messages[0]?.id !== http.id) fail(`join: ${JSON.stringify(joined)}`);
  const sent = await socket.request(`message:family:${conversation}`, 'new_msg', { body: 'sent over the WebSocket', client_id: 'smoke-1' });
  if (sent.status !== 'ok' || sent.response.message.seq !== 2) fail(`new_msg: ${JSON.stringify(sent)}`);
  socket.close();
  writeFileSync(stateFile, JSON.stringify({ admin: setup.token, member: member.token, conversation, ids: [http.id, sent.response.message.id] }));
  console.log(`deploy-smoke: setup, invite, register, a message over HTTP (seq ${http.seq}) and one over the WebSocket (seq 2), /readyz ok`);
}

async function stillThere(base, stateFile) {
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  const page = await api(base, 'GET', `/api/v1/conversations/${state.conversation}/messages`, { token: state.member, expected: 200 });
  const ids = page.map((m) => m.id);
  if (JSON.stringify(ids) !== JSON.stringify(state.ids)) fail(`after the restart the messages are ${JSON.stringify(ids)}, expected ${JSON.stringify(state.ids)}`);
  await api(base, 'GET', '/api/v1/me', { token: state.admin, expected: 200 });
  console.log('deploy-smoke: after the restart both messages and both sessions are still there');
}

async function across(node1, node2) {
  const setup = await api(node1, 'POST', '/api/v1/setup', {
    body: { username: 'grandpa', password, display_name: 'Grandpa', family_name: 'Two nodes' },
    expected: 201,
  });
  const conversation = (await api(node1, 'GET', `/api/v1/families/${setup.family.id}`, { token: setup.token, expected: 200 })).conversation_id;
  const onNode2 = await phoenix(node2, setup.token);
  const joined = await onNode2.request(`message:family:${conversation}`, 'phx_join', {});
  if (joined.status !== 'ok') fail(`join on node 2: ${JSON.stringify(joined)}`);
  const sent = await api(node1, 'POST', `/api/v1/conversations/${conversation}/messages`, { token: setup.token, body: { body: 'from node 1' }, expected: 201 });
  const received = await onNode2.next('new_msg');
  if (received.message.id !== sent.id) fail(`node 2 received ${JSON.stringify(received)}`);
  onNode2.close();
  console.log('deploy-smoke: a message sent through node 1 arrived on a socket of node 2');
}

try {
  if (command === 'ready') await ready(first);
  else if (command === 'first-use') await firstUse(first, second);
  else if (command === 'still-there') await stillThere(first, second);
  else if (command === 'across') await across(first, second);
  else fail(`unknown command ${command}`);
} catch (error) {
  fail(String(error?.stack ?? error));
}
