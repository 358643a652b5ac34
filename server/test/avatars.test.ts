// Profile pictures: PATCH /me {avatar_upload_id}, its checks, what happens to the previous picture, and every
// User view that shows avatar_url (signed for its viewer) over HTTP and the socket.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'phoenix';
import { describe, expect, it } from 'vitest';
import { sweepMedia, UNATTACHED_TTL_MS } from '../src/media/sweep.js';
import type { Person } from './helpers/fixtures.js';
import { addMember, family } from './helpers/fixtures.js';
import { joinChannel, socketPool } from './helpers/phoenix.js';
import { expectSignedFor, stored, upload, uploadRow } from './helpers/attach.js';
import { fetchMedia, mediaDir } from './helpers/media.js';

const media = mediaDir();
const { t, url, admin, familyId, conv, members: [bob] } = await family({ members: ['Bob'], env: { FAMICHAT_MEDIA_DIR: media, FAMICHAT_UPLOADS_PER_MINUTE: '100000' } });

const openSocket = socketPool(url);
const client = (person: Person): Promise<Socket> => openSocket(person.token);

const api = (person: Person) => t.as(person.token);
const setAvatar = (person: Person, id: string | null) => api(person).patch('/api/v1/me', { avatar_upload_id: id });

describe('PATCH /me avatar_upload_id', () => {
  it('sets a profile picture from an image upload: Me carries its URL, signed for the caller', async () => {
    const photo = await upload(t, admin);
    const res = await setAvatar(admin, photo);
    expect(res.status).toBe(200);
    expectSignedFor(res.body.data.avatar_url, photo, 'thumbnail', admin.id);
    const me = await api(admin).get('/api/v1/me');
    expectSignedFor(me.body.data.avatar_url, photo, 'thumbnail', admin.id);
    // Setting the same picture again changes nothing.
    expect((await setAvatar(admin, photo)).status).toBe(200);
    expect(await uploadRow(t, photo)).toBeDefined();
  });

  it('refuses an unknown, someone else\'s, non-image or malformed upload with 422 on avatar_upload_id, changing nothing', async () => {
    const before = (await api(bob).get('/api/v1/me')).body.data.avatar_url;
    const admins = await upload(t, admin);
    const unknown = randomUUID();
    const pdf = await upload(t, bob, { kind: 'file' });
    const cases: [string, RegExp][] = [
      [unknown, /not an upload of yours/],
      [admins, /not an upload of yours/],
      [pdf, /must be an image/],
      ['not-a-uuid', /./],
    ];
    for (const [id, reason] of cases) {
      const res = await setAvatar(bob, id);
      expect(res.status, id).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.fields.avatar_upload_id).toMatch(reason);
    }
    expect((await api(bob).get('/api/v1/me')).body.data.avatar_url).toBe(before);
    // A bad display name in the same request changes nothing either.
    const photo = await upload(t, bob);
    const mixed = await api(bob).patch('/api/v1/me', { display_name: ' ', avatar_upload_id: photo });
    expect(mixed.status).toBe(422);
    expect((await api(bob).get('/api/v1/me')).body.data.avatar_url).toBe(before);
  });

  it('deletes the previous picture, row and stored objects, when it is replaced or cleared', async () => {
    const first = await upload(t, bob);
    const second = await upload(t, bob);
    expect((await setAvatar(bob, first)).status).toBe(200);
    expect((await setAvatar(bob, second)).status).toBe(200);
    expect(await uploadRow(t, first)).toBeUndefined();
    expect(await stored(t, first)).toEqual({ original: false, thumbnail: false });
    const cleared = await setAvatar(bob, null);
    expect(cleared.status).toBe(200);
    expect(cleared.body.data.avatar_url).toBeNull();
    expect(await uploadRow(t, second)).toBeUndefined();
    expect(await stored(t, second)).toEqual({ original: false, thumbnail: false });
    // Clearing when there is none is fine.
    expect((await setAvatar(bob, null)).status).toBe(200);
  });

  it('keeps the previous picture when a message carries it', async () => {
    const photo = await upload(t, bob);
    const sent = await api(bob).post(`/api/v1/conversations/${conv}/messages`, { attachment_ids: [photo] });
    expect(sent.status).toBe(201);
    expect((await setAvatar(bob, photo)).status).toBe(200);
    expect((await setAvatar(bob, await upload(t, bob))).status).toBe(200);
    expect((await uploadRow(t, photo))?.message_id).toBe(sent.body.data.id);
    expect(await stored(t, photo)).toEqual({ original: true, thumbnail: true });
    const page = await api(admin).get(`/api/v1/conversations/${conv}/messages?limit=1`);
    expectSignedFor(page.body.data[0].attachments[0].url, photo, 'original', admin.id);
  });
});

describe('avatar_url in every User view', () => {
  it('shows the picture to others in members, participants, invites and login, signed for each viewer', async () => {
    const photo = await upload(t, admin);
    expect((await setAvatar(admin, photo)).status).toBe(200);

    const detail = await api(bob).get(`/api/v1/families/${familyId}`);
    const member = detail.body.data.members.find((m: { user: { id: string } }) => m.user.id === admin.id);
    expectSignedFor(member.user.avatar_url, photo, 'thumbnail', bob.id);
    const picture = await fetchMedia(t, member.user.avatar_url);
    expect(picture.statusCode).toBe(200);
    expect(picture.headers['content-type']).toMatch(/^image\//);

    const conversation = await api(bob).get(`/api/v1/conversations/${conv}`);
    const participant = conversation.body.data.participants.find((p: { id: string }) => p.id === admin.id);
    expectSignedFor(participant.avatar_url, photo, 'thumbnail', bob.id);
    const list = await api(bob).get('/api/v1/conversations');
    const listed = list.body.data.find((c: { id: string }) => c.id === conv).participants.find((p: { id: string }) => p.id === admin.id);
    expectSignedFor(listed.avatar_url, photo, 'thumbnail', bob.id);

    expect((await api(admin).post(`/api/v1/families/${familyId}/invites`, {})).status).toBe(201);
    const invites = await api(admin).get(`/api/v1/families/${familyId}/invites`);
    expectSignedFor(invites.body.data[0].created_by.avatar_url, photo, 'thumbnail', admin.id);

    const login = await t.as().post('/api/v1/auth/login', { username: admin.username, password: 'correct horse' });
    expect(login.status).toBe(200);
    expectSignedFor(login.body.data.user.avatar_url, photo, 'thumbnail', admin.id);

    const bobsPicture = await upload(t, bob);
    expect((await setAvatar(bob, bobsPicture)).status).toBe(200);
    // A password reset logs in too: its reply's picture is signed for the person logging in.
    const link = await api(admin).post(`/api/v1/families/${familyId}/members/${bob.id}/password-reset`, {});
    expect(link.status).toBe(201);
    const reset = await t.as().post('/api/v1/auth/password-reset', { token: link.body.data.token, password: 'correct horse' });
    expect(reset.status).toBe(200);
    expectSignedFor(reset.body.data.user.avatar_url, bobsPicture, 'thumbnail', bob.id);
    bob.token = reset.body.data.token;
    const role = await api(admin).patch(`/api/v1/families/${familyId}/members/${bob.id}`, { role: 'member' });
    expect(role.status).toBe(200);
    expectSignedFor(role.body.data.user.avatar_url, bobsPicture, 'thumbnail', admin.id);
  });

  it('tells the family: conversation_updated with the new picture; later updates carry it too', async () => {
    const socket = await client(bob);
    const updates = await joinChannel(socket, `user:${bob.id}`, {}, ['conversation_updated']);
    const photo = await upload(t, admin);
    expect((await setAvatar(admin, photo)).status).toBe(200);
    const pictured = (c: { participants: { id: string; avatar_url: string | null }[] }) =>
      c.participants.find((p) => p.id === admin.id)?.avatar_url?.startsWith(`/api/v1/media/${photo}/`) === true;
    const update = await updates.on('conversation_updated').next((p) => p.conversation.id === conv && pictured(p.conversation));
    const shown = update.conversation.participants.find((p: { id: string }) => p.id === admin.id);
    expectSignedFor(shown.avatar_url, photo, 'thumbnail', bob.id);
    // A send's update comes from the (refreshed) cached shape.
    const sent = await api(admin).post(`/api/v1/conversations/${conv}/messages`, { body: 'new picture!' });
    const after = await updates.on('conversation_updated').next((p) => p.conversation.last_message?.id === sent.body.data.id);
    expect(pictured(after.conversation)).toBe(true);
  });

  it('shows the picture in member_joined and member_left on the family topic', async () => {
    const socket = await client(admin);
    const channel = await joinChannel(socket, `family:${familyId}`, {}, ['member_joined', 'member_left']);
    const carol = await addMember(t, admin, familyId, 'member', 'Carol');
    const joined = await channel.on('member_joined').next((p) => p.user.id === carol.id);
    expect(joined.user.avatar_url).toBeNull();
    const photo = await upload(t, carol);
    expect((await setAvatar(carol, photo)).status).toBe(200);
    expect((await api(carol).delete(`/api/v1/families/${familyId}/members/${carol.id}`)).status).toBe(204);
    const left = await channel.on('member_left').next((p) => p.user.id === carol.id);
    expectSignedFor(left.user.avatar_url, photo, 'thumbnail', admin.id);
  });
});

describe('the media sweep', () => {
  it('never sweeps a profile picture, however old; an old upload nobody uses goes', async () => {
    const picture = await upload(t, bob);
    expect((await setAvatar(bob, picture)).status).toBe(200);
    const unused = await upload(t, bob);
    const dayLater = Date.now() + UNATTACHED_TTL_MS + 60_000;
    await sweepMedia(t.domain, dayLater);
    expect(await uploadRow(t, picture)).toBeDefined();
    expect(await stored(t, picture)).toEqual({ original: true, thumbnail: true });
    expect(await uploadRow(t, unused)).toBeUndefined();
    const me = await api(bob).get('/api/v1/me');
    expect((await fetchMedia(t, me.body.data.avatar_url)).statusCode).toBe(200);
  });
});
