// First real-time checks with the official phoenix client: connect, join, new_msg to every subscriber.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestApp } from './helpers/app.js';
import { startTestApp } from './helpers/app.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, familyConversation, setupInstance } from './helpers/fixtures.js';
import { collect, connect, joinChannel, push } from './helpers/phoenix.js';

let t: TestApp;
let url: string;
let admin: Person;
let bob: Person;
let conv: string;
let familyId: string;

beforeAll(async () => {
  t = await startTestApp();
  url = await t.listen();
  ({ admin, familyId } = await setupInstance(t));
  bob = await addMember(t, admin, familyId);
  conv = await familyConversation(t, admin, familyId);
});
afterAll(() => t.close());

it('delivers a WebSocket send to every subscriber, sender included, and an HTTP send too', async () => {
  const a = await connect(url, admin.token);
  const b = await connect(url, bob.token);
  const ca = await joinChannel(a, `message:family:${conv}`, { after_seq: 0 });
  const cb = await joinChannel(b, `message:family:${conv}`);
  expect(ca.response).toEqual({ latest_seq: 0, messages: [], has_more: false });
  const inA = collect(ca.channel, 'new_msg');
  const inB = collect(cb.channel, 'new_msg');
  const sent = await push(ca.channel, 'new_msg', { body: 'hello', client_id: 'x1' });
  expect(sent.status).toBe('ok');
  expect(sent.response.message).toMatchObject({ seq: 1, body: 'hello', sender_id: admin.id });
  expect((await inA.next()).message.id).toBe(sent.response.message.id);
  expect((await inB.next()).message.id).toBe(sent.response.message.id);
  const http = await t.as(bob.token).post(`/api/v1/conversations/${conv}/messages`, { body: 'via http' });
  expect((await inA.next()).message).toEqual(http.body.data);
  const user = await joinChannel(b, `user:${bob.id}`);
  const updates = collect(user.channel, 'conversation_updated');
  await push(ca.channel, 'new_msg', { body: 'third' });
  const update = await updates.next();
  expect(update.conversation).toMatchObject({ id: conv, latest_message_seq: 3, unread_count: 1 });
  const fam = await joinChannel(b, `family:${familyId}`);
  void fam;
  a.disconnect();
  b.disconnect();
});
