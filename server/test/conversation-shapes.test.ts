// A send announces conversation_updated from each node's cached conversation shape: a rename, a new name or
// a new participant made through another node must show in the very next update, never a stale copy.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestApp } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, setupInstance } from './helpers/fixtures.js';
import { collect, connect, joinChannel, push } from './helpers/phoenix.js';

let a: TestApp;
let b: TestApp;
let url: string;
let admin: Person;
let bob: Person;
let carol: Person;
let group: string;
let updates: ReturnType<typeof collect>;
let channel: Awaited<ReturnType<typeof joinChannel>>['channel'];

beforeAll(async () => {
  a = await startTestApp();
  b = await startTestApp({}, { nodeOf: a });
  url = await a.listen();
  let familyId: string;
  ({ admin, familyId } = await setupInstance(a));
  bob = await addMember(a, admin, familyId);
  carol = await addMember(a, admin, familyId);
  const created = await a.as(admin.token).post('/api/v1/conversations', { type: 'group', family_id: familyId, title: 'Cousins', participant_ids: [bob.id] });
  group = created.body.data.id as string;
  // Bob listens on node A, where the admin sends: node A caches the group's shape at the first send.
  const socket = await connect(url, bob.token);
  updates = collect((await joinChannel(socket, `user:${bob.id}`)).channel, 'conversation_updated');
  const sender = await connect(url, admin.token);
  channel = (await joinChannel(sender, `message:group:${group}`)).channel;
});
afterAll(async () => {
  await b.close();
  await a.close();
});

/** Sends on node A and returns Bob's conversation_updated for that message. */
async function sendAndWatch(body: string) {
  const sent = await push(channel, 'new_msg', { body });
  expect(sent.status).toBe('ok');
  return (await updates.next((update) => update.conversation.latest_message_seq === sent.response.message.seq)).conversation;
}

it('announces the group as GET shows it', async () => {
  const seen = await sendAndWatch('one');
  expect(seen).toEqual((await a.as(bob.token).get(`/api/v1/conversations/${group}`)).body.data);
});

it('shows a rename made on the other node in the next update', async () => {
  await sendAndWatch('cache it');
  expect((await b.as(admin.token).patch(`/api/v1/conversations/${group}`, { title: 'Cousins & co' })).status).toBe(200);
  expect((await sendAndWatch('after the rename')).title).toBe('Cousins & co');
});

it('shows a display name changed on the other node in the next update', async () => {
  await sendAndWatch('cache it again');
  expect((await b.as(bob.token).patch('/api/v1/me', { display_name: 'Robert' })).status).toBe(200);
  const seen = await sendAndWatch('after the new name');
  expect(seen.participants.find((p: { id: string }) => p.id === bob.id).display_name).toBe('Robert');
});

it('shows a participant added on the other node in the next update', async () => {
  await sendAndWatch('and again');
  expect((await b.as(admin.token).post(`/api/v1/conversations/${group}/participants`, { user_id: carol.id })).status).toBe(200);
  const seen = await sendAndWatch('welcome carol');
  expect(seen.participants.map((p: { id: string }) => p.id).sort()).toEqual([admin.id, bob.id, carol.id].sort());
  expect(seen).toEqual((await a.as(bob.token).get(`/api/v1/conversations/${group}`)).body.data);
});
