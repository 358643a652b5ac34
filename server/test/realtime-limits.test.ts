// Real-time resource limits: a slow reader is dropped instead of buffered without bound, one bus
// subscription serves every socket of a topic on a node, a failing database fails one request and not
// the socket, and leaving a conversation updates the user's own list live.
import { expect, it, vi } from 'vitest';
import { startTestApp } from './helpers/app.js';
import { family, familyConversation, setupInstance } from './helpers/fixtures.js';
import { raw } from './helpers/frames.js';
import { collect, connect, joinChannel, push } from './helpers/phoenix.js';

const { t, url, admin, familyId, conv, members: [bob] } = await family({ members: [undefined], app: { realtime: { maxBufferedBytes: 64 * 1024 } } });

it('drops a socket that stops reading once its outbound queue passes the limit, and keeps serving others', async () => {
  const slow = await raw(url, bob.token);
  await slow.join(`message:family:${conv}`);
  const closed = slow.closed;
  // The client stops reading: the kernel buffers fill, then the server's queue grows.
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const healthy = await connect(url, admin.token);
  const { channel } = await joinChannel(healthy, `message:family:${conv}`);
  const body = 'x'.repeat(8000);
  const before = t.realtime.connections.size;
  expect(before).toBe(2);
  let sent = 0;
  while (t.realtime.connections.size === before && sent < 5000) {
    await Promise.all(Array.from({ length: 20 }, () => push(channel, 'new_msg', { body })));
    sent += 20;
  }
  expect(t.realtime.connections.size).toBe(1);
  (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  await closed;
  // The healthy client still sends and receives.
  const inbox = collect(channel, 'new_msg');
  const reply = await push(channel, 'new_msg', { body: 'still here' });
  expect(reply.status).toBe('ok');
  expect((await inbox.next()).message.body).toBe('still here');
  healthy.disconnect();
}, 120_000);

it('subscribes to the bus once per topic on a node, however many sockets join it, and unsubscribes after the last', async () => {
  const sockets = await Promise.all([admin, bob, admin].map((p) => connect(url, p.token)));
  const topics = t.realtime.hub.topicCount;
  const channels = await Promise.all(sockets.map((s) => joinChannel(s, `message:family:${conv}`)));
  expect(t.realtime.hub.topicCount).toBe(topics + 1);
  for (const { channel } of channels) await new Promise((resolve) => channel.leave().receive('ok', resolve));
  await vi.waitFor(() => expect(t.realtime.hub.topicCount).toBe(topics));
  for (const s of sockets) s.disconnect();
});

it('tells a user leaving a group on their own topic, and closes their channel for it', async () => {
  const group = await t.as(admin.token).post('/api/v1/conversations', { type: 'group', family_id: familyId, title: 'Trip', participant_ids: [bob.id] });
  const socket = await connect(url, bob.token);
  const user = await joinChannel(socket, `user:${bob.id}`);
  const removed = collect(user.channel, 'conversation_removed');
  const room = await joinChannel(socket, `message:group:${group.body.data.id}`);
  const closed = new Promise((resolve) => room.channel.onClose(resolve));
  expect((await t.as(bob.token).delete(`/api/v1/conversations/${group.body.data.id}/participants/${bob.id}`)).status).toBe(204);
  expect(await removed.next()).toEqual({ conversation_id: group.body.data.id });
  await closed;
  socket.disconnect();
});

it('answers a join with an internal error when the database fails, and the socket keeps working', async () => {
  const broken = await startTestApp();
  const brokenUrl = await broken.listen();
  const { admin: owner, familyId: fid } = await setupInstance(broken);
  const room = await familyConversation(broken, owner, fid);
  const socket = await connect(brokenUrl, owner.token);
  await broken.db.database.close();
  await expect(joinChannel(socket, `message:family:${room}`)).rejects.toMatchObject({ response: { reason: 'internal' } });
  // The socket itself is fine: a heartbeat-driven channel on a topic needing no database still joins.
  await expect(joinChannel(socket, `user:${owner.id}`)).resolves.toMatchObject({ response: {} });
  socket.disconnect();
  await broken.app.close();
  await broken.db.drop().catch(() => undefined);
});
