// The realtime helper and the outbox against the real server (node server/dist/main.js on PostgreSQL):
// live delivery, catch-up after a reconnect, and offline sends stored exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningServer } from '../../e2e/helpers/server.js';
import { startServer } from '../../e2e/helpers/server.js';
import type { Api, ConversationChannel, Message, PresenceEntry } from '../src/index.js';
import { Outbox, RealtimeClient, createApi, latestSeq, mergeMessages } from '../src/index.js';
import { waitFor } from './wait.js';

let server: RunningServer;
let adminApi: Api;
let memberApi: Api;
let adminToken = '';
let memberToken = '';
let adminId = '';
let memberId = '';
let familyId = '';
let conversationId = '';
const clients: RealtimeClient[] = [];

function client(token: string): RealtimeClient {
  const rt = new RealtimeClient({
    url: `${server.url.replace('http', 'ws')}/socket`,
    token,
    pushTimeoutMs: 2000,
    socketOptions: { transport: WebSocket },
  });
  clients.push(rt);
  rt.connect();
  return rt;
}

/** A conversation view as the web client keeps it: merged messages, rejoin catch-up, outbox flush on join. */
function view(rt: RealtimeClient, outbox?: () => Outbox) {
  const state = { messages: [] as Message[], joins: 0, typing: [] as string[] };
  const channel: ConversationChannel = rt.joinConversation({ id: conversationId, type: 'family' }, {
    afterSeq: () => latestSeq(state.messages),
    onJoin: (reply) => {
      state.joins++;
      state.messages = mergeMessages(state.messages, reply.messages);
      void outbox?.().flush(conversationId);
    },
    onMessage: (m) => (state.messages = mergeMessages(state.messages, [m])),
    onTyping: (userId) => state.typing.push(userId),
  });
  return { state, channel };
}

beforeAll(async () => {
  server = await startServer();
  adminApi = createApi({ baseUrl: server.url, getToken: () => adminToken });
  memberApi = createApi({ baseUrl: server.url, getToken: () => memberToken });
  const setup = await adminApi.setup({ username: 'mum', password: 'correct horse', display_name: 'Mum', family_name: 'The Smiths' });
  adminToken = setup.token;
  adminId = setup.user.id;
  familyId = setup.family.id;
  const invite = await adminApi.createInvite(familyId);
  const joined = await memberApi.register({ invite_token: invite.token, username: 'kid', password: 'correct horse', display_name: 'Kid' });
  memberToken = joined.token;
  memberId = joined.user.id;
  conversationId = (await adminApi.family(familyId)).conversation_id;
});

afterAll(async () => {
  for (const rt of clients) rt.disconnect();
  await server?.stop();
});

describe('RealtimeClient with the Outbox, against the real server', () => {
  it('delivers a message live to the other member, and typing too', async () => {
    const mum = client(adminToken);
    const kid = client(memberToken);
    const a = view(mum);
    const b = view(kid);
    await waitFor(() => a.state.joins === 1 && b.state.joins === 1, 'both joins');
    const result = await a.channel.send('Dinner at 7?', crypto.randomUUID());
    expect(result.ok).toBe(true);
    await waitFor(() => b.state.messages.some((m) => m.body === 'Dinner at 7?'), 'the live message');
    a.channel.typing();
    await waitFor(() => b.state.typing.includes(adminId), 'the typing event');
    expect(await b.channel.read(latestSeq(b.state.messages))).toBe(latestSeq(b.state.messages));
    const list = await memberApi.conversations();
    expect(list.find((c) => c.id === conversationId)?.unread_count).toBe(0);
    mum.disconnect();
    kid.disconnect();
  });

  it('stores messages typed while offline exactly once after the reconnect, in order, and the other side catches up', async () => {
    const mum = client(adminToken);
    const kid = client(memberToken);
    const holder: { outbox?: Outbox } = {};
    const a = view(mum, () => holder.outbox!);
    const outbox = new Outbox({ send: (entry) => a.channel.send(entry.body, entry.clientId) });
    holder.outbox = outbox;
    const b = view(kid);
    await waitFor(() => a.state.joins === 1 && b.state.joins === 1, 'both joins');

    mum.disconnect();
    kid.disconnect();
    await waitFor(() => mum.status === 'closed', 'the socket to close');
    outbox.enqueue(conversationId, 'sent while offline 1');
    outbox.enqueue(conversationId, 'sent while offline 2');
    await outbox.idle();
    expect(outbox.list().map((e) => e.state)).toEqual(['sending', 'sending']);

    mum.connect();
    await waitFor(() => outbox.list().length === 0, 'the outbox to drain');
    await outbox.flush(); // another flush (as after a second rejoin) must not send again
    kid.connect();
    await waitFor(() => b.state.messages.some((m) => m.body === 'sent while offline 2'), 'the catch-up on rejoin');

    const page = await memberApi.messages(conversationId);
    const bodies = page.messages.map((m) => m.body);
    expect(bodies.filter((body) => body.startsWith('sent while offline'))).toEqual(['sent while offline 1', 'sent while offline 2']);
    expect(b.state.messages.map((m) => m.seq)).toEqual(page.messages.map((m) => m.seq));
    mum.disconnect();
    kid.disconnect();
  });

  it('shows who in the family is online', async () => {
    const mum = client(adminToken);
    let online: PresenceEntry[] = [];
    mum.joinFamily(familyId, { onPresence: (list) => (online = list) });
    await waitFor(() => online.some((p) => p.userId === adminId), 'her own presence');
    // The kid arrives after Mum subscribed, so Mum learns it from a published diff.
    const kid = client(memberToken);
    kid.joinFamily(familyId, {});
    await waitFor(() => online.some((p) => p.userId === memberId), 'the member to come online');
    expect(online.find((p) => p.userId === memberId)?.devices).toBe(1);
    kid.disconnect();
    await waitFor(() => !online.some((p) => p.userId === memberId), 'the member to go offline');
    expect(online.map((p) => p.userId)).toEqual([adminId]);
    mum.disconnect();
  });

  it('reports the socket status and a send while not joined as retryable', async () => {
    const statuses: string[] = [];
    const rt = new RealtimeClient({ url: `${server.url.replace('http', 'ws')}/socket`, token: 'not-a-token', socketOptions: { transport: WebSocket } });
    clients.push(rt);
    rt.onStatus((s) => statuses.push(s));
    const channel = rt.joinConversation({ id: conversationId, type: 'family' }, { afterSeq: () => 0 });
    rt.connect();
    await waitFor(() => statuses.includes('closed'), 'the refused socket');
    expect(await channel.send('x', 'y')).toEqual({ ok: false, retryable: true, reason: 'offline' });
    rt.disconnect();
  });

  it('drops the socket when the network goes and reconnects at once when it returns, rejoining with a catch-up', async () => {
    const kid = client(memberToken);
    const b = view(kid);
    await waitFor(() => b.state.joins === 1, 'the join');
    kid.setNetwork(false);
    expect(kid.status).toBe('closed');
    await adminApi.sendMessage(conversationId, 'while the kid was offline');
    kid.setNetwork(true);
    await waitFor(() => kid.status === 'open', 'the reconnect', 2000);
    await waitFor(() => b.state.messages.some((m) => m.body === 'while the kid was offline'), 'the catch-up on rejoin');
    expect(b.state.joins).toBe(2);
    kid.disconnect();
  });

  it('tells a member removed from a group: the channel closes and the user topic says so, while leaving is silent', async () => {
    const group = await adminApi.createGroup(familyId, 'Cousins', [memberId]);
    const kid = client(memberToken);
    const removed: string[] = [];
    let closed = 0;
    kid.joinUser(memberId, { onRemoved: (id) => removed.push(id) });
    let joined = false;
    kid.joinConversation(group, { afterSeq: () => 0, onJoin: () => (joined = true), onClosed: () => closed++ });
    const left = kid.joinConversation({ id: conversationId, type: 'family' }, { afterSeq: () => 0, onClosed: () => closed++ });
    await waitFor(() => joined, 'the group join');
    left.leave();
    const res = await fetch(`${server.url}/api/v1/conversations/${group.id}/participants/${memberId}`, { method: 'DELETE', headers: { authorization: `Bearer ${adminToken}` } });
    expect(res.status).toBe(204);
    await waitFor(() => removed.includes(group.id) && closed === 1, 'the removal');
    kid.disconnect();
  });
});
