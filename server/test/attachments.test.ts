// Messages that carry attachments: sending them over HTTP and WebSocket (checks, atomic attach, idempotent retries),
// every message view with URLs signed for each viewer, editing, and deleting (the uploads and their objects go).
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Socket } from 'phoenix';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createLocalBus } from '../src/bus/bus.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, rows } from '../src/db/connect.js';
import type { Person } from './helpers/fixtures.js';
import { family, familyConversation, freshFamily, outsider, withInstance } from './helpers/fixtures.js';
import { joinChannel, push, socketPool } from './helpers/phoenix.js';
import { expectSignedFor, stored, upload, uploadRow } from './helpers/attach.js';
import { fetchMedia, mediaDir } from './helpers/media.js';

const media = mediaDir();
const { t, url, admin, conv, members: [bob, carol] } = await family({ members: ['Bob', 'Carol'], env: { FAMICHAT_MEDIA_DIR: media, FAMICHAT_UPLOADS_PER_MINUTE: '100000' } });

const openSocket = socketPool(url);
const client = (person: Person): Promise<Socket> => openSocket(person.token);

const api = (person: Person) => t.as(person.token);
const messagesPath = (conversationId = conv) => `/api/v1/conversations/${conversationId}/messages`;
const send = (person: Person, body: object, conversationId = conv) => api(person).post(messagesPath(conversationId), body);

async function latest(person: Person, conversationId = conv) {
  const res = await api(person).get(`${messagesPath(conversationId)}?limit=1`);
  expect(res.status).toBe(200);
  return res.body.data[0];
}

async function messagesCarrying(uploadId: string) {
  return rows<{ id: string }>(t.domain.db, sql`SELECT id FROM messages WHERE attachments @> ${JSON.stringify([{ id: uploadId }])}::jsonb`);
}

describe('sending attachments over HTTP', () => {
  it('stores a photo and a file with a caption, in the order given, and attaches the uploads', async () => {
    const photo = await upload(t, admin, { kind: 'image', filename: 'beach.jpg' });
    const pdf = await upload(t, admin, { kind: 'file', filename: 'menu.pdf' });
    const res = await send(admin, { body: '  Look  ', attachment_ids: [pdf, photo], client_id: 'two-things' });
    expect(res.status).toBe(201);
    const message = res.body.data;
    expect(message.body).toBe('Look');
    expect(message.attachments.map((a: { id: string }) => a.id)).toEqual([pdf, photo]);
    const [file, image] = message.attachments;
    expect(file).toMatchObject({ kind: 'file', mime_type: 'application/pdf', filename: 'menu.pdf', width: null, height: null, duration_ms: null, thumbnail_url: null });
    expect(image).toMatchObject({ kind: 'image', mime_type: 'image/jpeg', filename: 'beach.jpg', width: 800, height: 600, duration_ms: null });
    expect(image.size_bytes).toBeGreaterThan(0);
    expectSignedFor(file.url, pdf, 'original', admin.id);
    expectSignedFor(image.url, photo, 'original', admin.id);
    expectSignedFor(image.thumbnail_url, photo, 'thumbnail', admin.id);
    for (const id of [pdf, photo]) {
      const row = await uploadRow(t, id);
      expect(row?.message_id).toBe(message.id);
      expect(row?.attached_at).not.toBeNull();
    }
  });

  it('accepts a message that is only a photo: body absent or blank is stored as ""', async () => {
    const first = await send(admin, { attachment_ids: [await upload(t, admin)] });
    expect(first.status).toBe(201);
    expect(first.body.data.body).toBe('');
    const second = await send(admin, { body: ' \n ', attachment_ids: [await upload(t, admin)] });
    expect(second.status).toBe(201);
    expect(second.body.data.body).toBe('');
    expect(second.body.data.seq).toBe(first.body.data.seq + 1);
  });

  it('still refuses a message with neither text nor attachments', async () => {
    for (const body of [{}, { body: '' }, { body: '  ', attachment_ids: [] }]) {
      const res = await send(admin, body);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.fields.body).toBe('must not be empty');
    }
  });

  it('refuses unknown, someone else\'s, attached, repeated, too many or malformed ids with 422 on attachment_ids, storing nothing', async () => {
    const before = (await latest(admin)).seq;
    const bobs = await upload(t, bob);
    const mine = await upload(t, admin);
    const attached = await upload(t, admin);
    expect((await send(admin, { attachment_ids: [attached] })).status).toBe(201);
    const afterAttach = (await latest(admin)).seq;
    const cases: [unknown[], RegExp][] = [
      [[randomUUID()], /does not exist/],
      [[mine, bobs], /does not exist/],
      [[attached], /already attached/],
      [[mine, mine], /more than once/],
      [[mine, mine.toUpperCase()], /more than once/],
      [Array.from({ length: 11 }, () => randomUUID()), /10/],
    ];
    for (const [ids, reason] of cases) {
      const res = await send(admin, { body: 'x', attachment_ids: ids });
      expect(res.status, JSON.stringify(ids)).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.fields.attachment_ids).toMatch(reason);
    }
    // Someone else's upload reads exactly like an unknown one.
    const unknown = randomUUID();
    const foreign = await send(admin, { attachment_ids: [bobs] });
    const missing = await send(admin, { attachment_ids: [unknown] });
    expect(foreign.body.error.details.fields.attachment_ids.replace(bobs, 'ID')).toBe(missing.body.error.details.fields.attachment_ids.replace(unknown, 'ID'));
    const malformed = await send(admin, { body: 'x', attachment_ids: ['not-an-id'] });
    expect(malformed.status).toBe(422);
    expect(Object.keys(malformed.body.error.details.fields)[0]).toMatch(/^attachment_ids/);
    expect((await latest(admin)).seq).toBe(afterAttach);
    expect(afterAttach).toBe(before + 1);
    expect((await uploadRow(t, mine))?.message_id).toBeNull();
    expect((await uploadRow(t, bobs))?.message_id).toBeNull();
  });

  it('gives an upload sent twice at once to exactly one message; the other send gets 422', async () => {
    for (let round = 0; round < 3; round++) {
      const id = await upload(t, admin);
      const [a, b] = await Promise.all([
        send(admin, { body: 'first', attachment_ids: [id] }),
        send(admin, { body: 'second', attachment_ids: [id] }),
      ]);
      expect([a.status, b.status].sort()).toEqual([201, 422]);
      const loser = a.status === 422 ? a : b;
      expect(loser.body.error.details.fields.attachment_ids).toMatch(/already attached/);
      const winner = a.status === 201 ? a : b;
      expect((await messagesCarrying(id)).map((m) => m.id)).toEqual([winner.body.data.id]);
      expect((await uploadRow(t, id))?.message_id).toBe(winner.body.data.id);
    }
  });

  it('lets several sends with different uploads run at once, with consecutive seqs', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, () => upload(t, admin)));
    const results = await Promise.all(ids.map((id, i) => send(admin, { body: `p${i}`, attachment_ids: [id] })));
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 201));
    const seqs = results.map((r) => r.body.data.seq as number).sort((x, y) => x - y);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  });

  it('answers a retry with the same client_id with the original, even though its uploads are attached now', async () => {
    const ids = [await upload(t, admin), await upload(t, admin)];
    const first = await send(admin, { body: 'once', attachment_ids: ids, client_id: 'photo-retry' });
    expect(first.status).toBe(201);
    const [retry, twin] = await Promise.all([
      send(admin, { body: 'once', attachment_ids: ids, client_id: 'photo-retry' }),
      send(admin, { body: 'once', attachment_ids: ids, client_id: 'photo-retry' }),
    ]);
    for (const again of [retry, twin]) {
      expect(again.status).toBe(200);
      expect(again.body.data).toMatchObject({ id: first.body.data.id, seq: first.body.data.seq });
      expect(again.body.data.attachments.map((a: { id: string }) => a.id)).toEqual(ids);
    }
    expect((await latest(admin)).id).toBe(first.body.data.id);
    expect(await messagesCarrying(ids[0]!)).toHaveLength(1);
  });

  it('sends both twins of a new client_id to one message: the twin gets the original', async () => {
    const id = await upload(t, admin);
    const [a, b] = await Promise.all([
      send(admin, { attachment_ids: [id], client_id: 'twin-photo' }),
      send(admin, { attachment_ids: [id], client_id: 'twin-photo' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.data.id).toBe(b.body.data.id);
  });

  it('settles a client_id race between two photo sends of different uploads: one message, the other gets it back', async () => {
    for (let round = 0; round < 3; round++) {
      const [one, two] = [await upload(t, admin), await upload(t, admin)];
      const [a, b] = await Promise.all([
        send(admin, { attachment_ids: [one], client_id: `split-twin-${round}` }),
        send(admin, { attachment_ids: [two], client_id: `split-twin-${round}` }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 201]);
      expect(a.body.data.id).toBe(b.body.data.id);
      const lost = a.body.data.attachments[0].id === one ? two : one;
      expect((await uploadRow(t, lost))?.message_id).toBeNull();
    }
  });

  it('settles a client_id race between a text send and a photo send: one message, the other gets it back', async () => {
    const id = await upload(t, admin);
    const [text, photo] = await Promise.all([
      send(admin, { body: 'text first', client_id: 'mixed-twin' }),
      send(admin, { attachment_ids: [id], client_id: 'mixed-twin' }),
    ]);
    expect([text.status, photo.status].sort()).toEqual([200, 201]);
    expect(text.body.data.id).toBe(photo.body.data.id);
  });

  it('answers 404 outside the conversation and 403 no_shared_family in a direct conversation gone quiet, attaching nothing', async () => {
    const stranger = await outsider(t, admin);
    const theirs = await upload(t, stranger);
    const res = await send(stranger, { attachment_ids: [theirs] });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');

    const { familyId: otherFamily, people: [dora, ed] } = await freshFamily(t, admin, 2, 'Quiet');
    const direct = await api(dora!).post('/api/v1/conversations', { type: 'direct', participant_id: ed!.id });
    expect(direct.status).toBe(201);
    expect((await api(ed!).delete(`/api/v1/families/${otherFamily}/members/${ed!.id}`)).status).toBe(204);
    const photo = await upload(t, dora!);
    const quiet = await send(dora!, { attachment_ids: [photo] }, direct.body.data.id);
    expect(quiet.status).toBe(403);
    expect(quiet.body.error.code).toBe('no_shared_family');
    expect((await uploadRow(t, photo))?.message_id).toBeNull();
  });

  it('limits photo sends like text sends (429 rate_limited)', async () => {
    await withInstance({ FAMICHAT_SEND_BURST: '2', FAMICHAT_MEDIA_DIR: media }, async ({ t: limited, admin: nan, familyId }) => {
      const nansConv = await familyConversation(limited, nan, familyId);
      const results = [];
      for (let i = 0; i < 3; i++) {
        results.push(await limited.as(nan.token).post(`/api/v1/conversations/${nansConv}/messages`, { attachment_ids: [await upload(limited, nan)] }));
      }
      expect(results.map((r) => r.status)).toEqual([201, 201, 429]);
      expect(results[2]!.body.error.code).toBe('rate_limited');
      expect(results[2]!.headers['retry-after']).toBeDefined();
    });
  });
});

describe('views of a message with attachments', () => {
  it('carries the attachments in the history, the conversation and its list, each URL signed for its viewer and fetching the bytes', async () => {
    const photo = await upload(t, admin);
    const sent = await send(admin, { attachment_ids: [photo] });
    expect(sent.status).toBe(201);
    const original = await fetchMedia(t, sent.body.data.attachments[0].url);
    expect(original.statusCode).toBe(200);
    expect(original.headers['content-type']).toBe('image/jpeg');
    for (const viewer of [admin, bob]) {
      const page = await latest(viewer);
      expect(page.id).toBe(sent.body.data.id);
      expectSignedFor(page.attachments[0].url, photo, 'original', viewer.id);
      expectSignedFor(page.attachments[0].thumbnail_url, photo, 'thumbnail', viewer.id);
      const bytes = await fetchMedia(t, page.attachments[0].url);
      expect(bytes.statusCode).toBe(200);
      expect(bytes.rawPayload.equals(original.rawPayload)).toBe(true);
      expect((await fetchMedia(t, page.attachments[0].thumbnail_url)).statusCode).toBe(200);
      const one = await api(viewer).get(`/api/v1/conversations/${conv}`);
      expect(one.body.data.last_message.body).toBe('');
      expectSignedFor(one.body.data.last_message.attachments[0].url, photo, 'original', viewer.id);
      const list = await api(viewer).get('/api/v1/conversations');
      const family = list.body.data.find((c: { id: string }) => c.id === conv);
      expectSignedFor(family.last_message.attachments[0].url, photo, 'original', viewer.id);
    }
  });

  it('carries them over the socket: the send reply, new_msg and conversation_updated to each participant, the join catch-up', async () => {
    const adminSocket = await client(admin);
    const bobSocket = await client(bob);
    const topic = `message:family:${conv}`;
    const mine = await joinChannel(adminSocket, topic, {}, ['new_msg']);
    const bobs = await joinChannel(bobSocket, topic, {}, ['new_msg']);
    const bobUser = await joinChannel(bobSocket, `user:${bob.id}`, {}, ['conversation_updated']);
    const before = (await latest(admin)).seq;

    const photo = await upload(t, admin);
    const reply = await push(mine.channel, 'new_msg', { attachment_ids: [photo], client_id: 'ws-photo' });
    expect(reply.status).toBe('ok');
    const message = reply.response.message;
    expect(message.body).toBe('');
    expectSignedFor(message.attachments[0].url, photo, 'original', admin.id);

    const toAdmin = await mine.on('new_msg').next((p) => p.message.id === message.id);
    expectSignedFor(toAdmin.message.attachments[0].url, photo, 'original', admin.id);
    const toBob = await bobs.on('new_msg').next((p) => p.message.id === message.id);
    expectSignedFor(toBob.message.attachments[0].url, photo, 'original', bob.id);
    expectSignedFor(toBob.message.attachments[0].thumbnail_url, photo, 'thumbnail', bob.id);
    for (const got of [toAdmin, toBob]) expect((await fetchMedia(t, got.message.attachments[0].url)).statusCode).toBe(200);
    const update = await bobUser.on('conversation_updated').next((p) => p.conversation.last_message?.id === message.id);
    expectSignedFor(update.conversation.last_message.attachments[0].url, photo, 'original', bob.id);

    // A retry over the socket: the original, nothing broadcast again.
    const retry = await push(mine.channel, 'new_msg', { attachment_ids: [photo], client_id: 'ws-photo' });
    expect(retry.response.message.id).toBe(message.id);

    const carolSocket = await client(carol);
    const joined = await joinChannel(carolSocket, topic, { after_seq: before });
    const caught = joined.response.messages.find((m: { id: string }) => m.id === message.id);
    expectSignedFor(caught.attachments[0].url, photo, 'original', carol.id);
    // The retry was not broadcast: the next message reaches Bob with nothing in between.
    const marker = (await push(mine.channel, 'new_msg', { body: 'after the retry' })).response.message;
    await bobs.on('new_msg').next((p) => p.message.id === marker.id);
    expect(bobs.on('new_msg').all.filter((p) => p.message.id === message.id)).toHaveLength(1);
  });

  it('refuses bad attachment sends over the socket with validation_failed, like HTTP', async () => {
    const socket = await client(admin);
    const { channel } = await joinChannel(socket, `message:family:${conv}`);
    const attached = await upload(t, admin);
    expect((await push(channel, 'new_msg', { body: 'caption', attachment_ids: [attached] })).status).toBe('ok');
    const bad: object[] = [
      { attachment_ids: [attached] },
      { attachment_ids: [randomUUID()] },
      { attachment_ids: ['nope'] },
      { attachment_ids: 'not a list' },
      { attachment_ids: Array.from({ length: 11 }, () => randomUUID()) },
      { attachment_ids: [] },
      { body: 42, attachment_ids: [await upload(t, admin)] },
      {},
    ];
    for (const payload of bad) {
      const res = await push(channel, 'new_msg', payload);
      expect(res, JSON.stringify(payload)).toEqual({ status: 'error', response: { reason: 'validation_failed' } });
    }
  });
});

describe('editing and deleting a message with attachments', () => {
  it('edits the caption, to empty too, keeping the attachments; a text message still needs text', async () => {
    const socket = await client(bob);
    const watch = await joinChannel(socket, `message:family:${conv}`, {}, ['message_updated']);
    const photo = await upload(t, admin);
    const sent = (await send(admin, { body: 'caption', attachment_ids: [photo] })).body.data;
    const edited = await api(admin).patch(`${messagesPath()}/${sent.id}`, { body: '  ' });
    expect(edited.status).toBe(200);
    expect(edited.body.data.body).toBe('');
    expect(edited.body.data.edited_at).not.toBeNull();
    expectSignedFor(edited.body.data.attachments[0].url, photo, 'original', admin.id);
    const update = await watch.on('message_updated').next((p) => p.message.id === sent.id);
    expectSignedFor(update.message.attachments[0].url, photo, 'original', bob.id);

    const text = (await send(admin, { body: 'words' })).body.data;
    const empty = await api(admin).patch(`${messagesPath()}/${text.id}`, { body: '' });
    expect(empty.status).toBe(422);
    expect(empty.body.error.details.fields.body).toBe('must not be empty');
  });

  it('deletes the uploads and their stored objects with the message; views show no attachments', async () => {
    const socket = await client(bob);
    const watch = await joinChannel(socket, `message:family:${conv}`, {}, ['message_deleted']);
    const photo = await upload(t, admin);
    const pdf = await upload(t, admin, { kind: 'file' });
    const sent = (await send(admin, { body: 'soon gone', attachment_ids: [photo, pdf] })).body.data;
    expect(await stored(t, photo)).toEqual({ original: true, thumbnail: true });
    const bobsView = (await latest(bob)).attachments;
    const urls = [...bobsView.map((a: { url: string }) => a.url), bobsView[0].thumbnail_url, ...sent.attachments.map((a: { url: string }) => a.url)];
    for (const u of urls) expect((await fetchMedia(t, u)).statusCode).toBe(200);

    expect((await api(admin).delete(`${messagesPath()}/${sent.id}`)).status).toBe(204);
    const deleted = await watch.on('message_deleted').next((p) => p.message.id === sent.id);
    expect(deleted.message).toMatchObject({ body: '', attachments: [] });
    expect(deleted.message.deleted_at).not.toBeNull();
    expect(await uploadRow(t, photo)).toBeUndefined();
    expect(await uploadRow(t, pdf)).toBeUndefined();
    expect(await stored(t, photo)).toEqual({ original: false, thumbnail: false });
    expect((await stored(t, pdf)).original).toBe(false);
    for (const u of urls) expect((await fetchMedia(t, u)).statusCode).toBe(404);
    const page = await latest(bob);
    expect(page).toMatchObject({ id: sent.id, body: '', attachments: [] });
    const conversation = await api(bob).get(`/api/v1/conversations/${conv}`);
    expect(conversation.body.data.last_message).toMatchObject({ id: sent.id, attachments: [] });
    // Deleting again changes nothing.
    expect((await api(admin).delete(`${messagesPath()}/${sent.id}`)).status).toBe(204);
  });

  it('lets a family admin delete a member\'s photo message, and keeps a photo that is the sender\'s profile picture', async () => {
    const photo = await upload(t, bob);
    const sent = (await send(bob, { attachment_ids: [photo] })).body.data;
    expect((await api(bob).patch('/api/v1/me', { avatar_upload_id: photo })).status).toBe(200);
    expect((await api(admin).delete(`${messagesPath()}/${sent.id}`)).status).toBe(204);
    const row = await uploadRow(t, photo);
    expect(row).toMatchObject({ id: photo, message_id: null, attached_at: null });
    expect(await stored(t, photo)).toEqual({ original: true, thumbnail: true });
    const me = await api(bob).get('/api/v1/me');
    expectSignedFor(me.body.data.avatar_url, photo, 'thumbnail', bob.id);
    expect((await api(bob).patch('/api/v1/me', { avatar_upload_id: null })).status).toBe(200);
  });
});

describe('on PGlite', () => {
  it('stores a photo message and settles a concurrent send of the same upload', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    const { app, domain } = await buildApp({
      config: loadConfig({ LOG_LEVEL: 'silent', FAMICHAT_MEDIA_DIR: media }),
      database,
      bus: createLocalBus(),
    });
    try {
      const call = async (method: 'GET' | 'POST', path: string, token?: string, body?: object) => {
        const res = await app.inject({ method, url: path, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(body ? { payload: body } : {}) });
        return { status: res.statusCode, body: res.json() };
      };
      const setup = await call('POST', '/api/v1/setup', undefined, { username: 'nan', password: 'long enough', display_name: 'Nan', family_name: 'F' });
      const token = setup.body.data.token as string;
      const nan = { id: setup.body.data.user.id as string, username: 'nan', token, sessionId: '' };
      const familyConv = (await call('GET', `/api/v1/families/${setup.body.data.family.id}`, token)).body.data.conversation_id as string;
      const pglite = { domain } as unknown as typeof t;
      const photo = await upload(app, nan);
      const [a, b] = await Promise.all([
        call('POST', `/api/v1/conversations/${familyConv}/messages`, token, { body: 'one', attachment_ids: [photo] }),
        call('POST', `/api/v1/conversations/${familyConv}/messages`, token, { body: 'two', attachment_ids: [photo] }),
      ]);
      expect([a.status, b.status].sort()).toEqual([201, 422]);
      const winner = a.status === 201 ? a : b;
      expectSignedFor(winner.body.data.attachments[0].url, photo, 'original', nan.id);
      const page = await call('GET', `/api/v1/conversations/${familyConv}/messages`, token);
      expect(page.body.data.map((m: { attachments: { id: string }[] }) => m.attachments.map((x) => x.id))).toEqual([[photo]]);
      const row = await uploadRow(pglite, photo);
      expect(row?.message_id).toBe(winner.body.data.id);
    } finally {
      await app.close();
      await database.close();
    }
  }, 120_000);
});
