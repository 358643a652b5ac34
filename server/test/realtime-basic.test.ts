// First real-time checks with the official phoenix client: connect, join, new_msg to every subscriber.
import { expect, it } from 'vitest';
import { family } from './helpers/fixtures.js';
import { collect, connect, joinChannel, push } from './helpers/phoenix.js';

const { t, url, admin, familyId, conv, members: [bob] } = await family({ members: [undefined] });

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

it('sends each participant a conversation_updated equal to what GET returns them after a send', async () => {
  const direct = (await t.as(admin.token).post('/api/v1/conversations', { type: 'direct', participant_id: bob.id })).body.data.id as string;
  await t.as(admin.token).post(`/api/v1/conversations/${direct}/messages`, { body: 'first' });
  expect((await t.as(bob.token).patch(`/api/v1/conversations/${direct}`, { hidden: true })).status).toBe(200);
  const a = await connect(url, admin.token);
  const b = await connect(url, bob.token);
  const ua = collect((await joinChannel(a, `user:${admin.id}`)).channel, 'conversation_updated');
  const ub = collect((await joinChannel(b, `user:${bob.id}`)).channel, 'conversation_updated');
  const channel = (await joinChannel(a, `message:direct:${direct}`)).channel;
  const sent = await push(channel, 'new_msg', { body: 'are you there?' });
  expect(sent.status).toBe('ok');
  const [forAdmin, forBob] = await Promise.all([ua.next(), ub.next()]);
  // Each sees the other's name as the title; the sender has nothing unread; the message unhid it for Bob.
  expect(forAdmin.conversation).toEqual((await t.as(admin.token).get(`/api/v1/conversations/${direct}`)).body.data);
  expect(forBob.conversation).toEqual((await t.as(bob.token).get(`/api/v1/conversations/${direct}`)).body.data);
  expect(forAdmin.conversation).toMatchObject({ title: bob.username, unread_count: 0, hidden: false, last_message: sent.response.message });
  expect(forBob.conversation).toMatchObject({ title: 'Admin', unread_count: 2, hidden: false, latest_message_seq: 2 });
  a.disconnect();
  b.disconnect();
});

it('after a read, tells the reader and the senders of the messages read, with a conversation_updated equal to what GET returns them', async () => {
  const group = await t.as(admin.token).post('/api/v1/conversations', { type: 'group', family_id: familyId, title: 'Readers', participant_ids: [bob.id] });
  expect(group.status).toBe(201);
  const id = group.body.data.id as string;
  for (const body of ['one', 'two', 'three']) await t.as(admin.token).post(`/api/v1/conversations/${id}/messages`, { body });
  const a = await connect(url, admin.token);
  const b = await connect(url, bob.token);
  const ua = collect((await joinChannel(a, `user:${admin.id}`)).channel, 'conversation_updated');
  const ub = collect((await joinChannel(b, `user:${bob.id}`)).channel, 'conversation_updated');
  const reads = collect((await joinChannel(a, `message:group:${id}`)).channel, 'read');

  const read = await t.as(bob.token).post(`/api/v1/conversations/${id}/read`, { seq: 2 });
  expect(read.body.data).toEqual({ seq: 2 });
  expect(await reads.next()).toEqual({ user_id: bob.id, seq: 2 });
  const [forBob, forAdmin] = await Promise.all([ub.next(), ua.next()]);
  expect(forBob.conversation).toEqual((await t.as(bob.token).get(`/api/v1/conversations/${id}`)).body.data);
  expect(forBob.conversation).toMatchObject({ title: 'Readers', unread_count: 1, latest_message_seq: 3, last_message: { seq: 3, body: 'three' } });
  // The admin sent what Bob read: their "seen by" changed.
  expect(forAdmin.conversation).toEqual((await t.as(admin.token).get(`/api/v1/conversations/${id}`)).body.data);
  expect(forAdmin.conversation).toMatchObject({ unread_count: 0, read_up_to: { [admin.id]: 3, [bob.id]: 2 } });

  // A read past the end is clamped to the latest seq.
  expect((await t.as(bob.token).post(`/api/v1/conversations/${id}/read`, { seq: 99 })).body.data).toEqual({ seq: 3 });
  expect((await ub.next()).conversation).toMatchObject({ unread_count: 0 });
  expect((await ua.next()).conversation).toMatchObject({ read_up_to: { [bob.id]: 3 } });
  // A read that moves nothing tells the reader only: the admin's next update is the next message's.
  expect((await t.as(bob.token).post(`/api/v1/conversations/${id}/read`, { seq: 3 })).body.data).toEqual({ seq: 3 });
  expect((await ub.next()).conversation).toMatchObject({ unread_count: 0 });
  await t.as(bob.token).post(`/api/v1/conversations/${id}/messages`, { body: 'four' });
  expect((await ua.next()).conversation).toMatchObject({ latest_message_seq: 4, unread_count: 1, read_up_to: { [admin.id]: 3, [bob.id]: 4 } });
  // Barrier: a marker message published after everything above; its update must be the admin's next one.
  await t.as(bob.token).post(`/api/v1/conversations/${id}/messages`, { body: 'marker' });
  expect((await ua.next()).conversation).toMatchObject({ latest_message_seq: 5, last_message: { body: 'marker' } });
  expect(ua.received).toEqual([]);
  a.disconnect();
  b.disconnect();
});

it("updates every participant's list when the conversation's last message is edited or deleted, and only then", async () => {
  const direct = (await t.as(admin.token).post('/api/v1/conversations', { type: 'direct', participant_id: bob.id })).body.data.id as string;
  const first = (await t.as(admin.token).post(`/api/v1/conversations/${direct}/messages`, { body: 'first' })).body.data;
  const last = (await t.as(admin.token).post(`/api/v1/conversations/${direct}/messages`, { body: 'see you at 7' })).body.data;
  const a = await connect(url, admin.token);
  const b = await connect(url, bob.token);
  const ua = collect((await joinChannel(a, `user:${admin.id}`)).channel, 'conversation_updated');
  const ub = collect((await joinChannel(b, `user:${bob.id}`)).channel, 'conversation_updated');

  expect((await t.as(admin.token).patch(`/api/v1/conversations/${direct}/messages/${last.id}`, { body: 'see you at 8' })).status).toBe(200);
  const [forAdmin, forBob] = await Promise.all([ua.next(), ub.next()]);
  expect(forAdmin.conversation).toEqual((await t.as(admin.token).get(`/api/v1/conversations/${direct}`)).body.data);
  expect(forBob.conversation).toEqual((await t.as(bob.token).get(`/api/v1/conversations/${direct}`)).body.data);
  expect(forBob.conversation).toMatchObject({ latest_message_seq: last.seq, last_message: { id: last.id, body: 'see you at 8', edited_at: expect.any(String) } });

  expect((await t.as(admin.token).delete(`/api/v1/conversations/${direct}/messages/${last.id}`)).status).toBe(204);
  expect((await ub.next()).conversation.last_message).toMatchObject({ id: last.id, body: '', deleted_at: expect.any(String) });
  expect((await ua.next()).conversation.last_message).toMatchObject({ id: last.id, deleted_at: expect.any(String) });

  // An older message's edit or delete leaves the previews alone: the next update is the marker's.
  expect((await t.as(admin.token).patch(`/api/v1/conversations/${direct}/messages/${first.id}`, { body: 'first!' })).status).toBe(200);
  expect((await t.as(admin.token).delete(`/api/v1/conversations/${direct}/messages/${first.id}`)).status).toBe(204);
  await t.as(bob.token).post(`/api/v1/conversations/${direct}/messages`, { body: 'marker' });
  expect((await ub.next()).conversation).toMatchObject({ latest_message_seq: last.seq + 1, last_message: { body: 'marker' } });
  expect((await ua.next()).conversation).toMatchObject({ latest_message_seq: last.seq + 1, last_message: { body: 'marker' } });
  a.disconnect();
  b.disconnect();
});
