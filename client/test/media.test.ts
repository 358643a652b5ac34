// The SDK's media calls against the real server (node server/dist/main.js on PostgreSQL, a media directory of
// its own): uploadFile, a send with attachment_ids over the socket and over HTTP, the outbox carrying files
// end to end (one message, no upload repeated), the server's errors as ApiError, and setAvatar.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningServer } from '../../e2e/helpers/server.js';
import { startServer } from '../../e2e/helpers/server.js';
import { png } from '../../e2e/helpers/files.js';
import type { Api, Message, UploadOptions } from '../src/index.js';
import { ApiError, Outbox, RealtimeClient, attachmentIds, createApi, latestSeq, mergeMessages } from '../src/index.js';
import { waitFor } from './wait.js';

const LIMIT = 1_000_000;
let server: RunningServer;
let mediaDir = '';
let mum: Api;
let kid: Api;
let mumToken = '';
let kidToken = '';
let conversationId = '';
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  mediaDir = mkdtempSync(join(tmpdir(), 'famichat-client-media-'));
  server = await startServer({ FAMICHAT_MEDIA_DIR: mediaDir, FAMICHAT_UPLOAD_MAX_BYTES: String(LIMIT) });
  mum = createApi({ baseUrl: server.url, getToken: () => mumToken });
  kid = createApi({ baseUrl: server.url, getToken: () => kidToken });
  const setup = await mum.setup({ username: 'mum', password: 'correct horse', display_name: 'Mum', family_name: 'The Smiths' });
  mumToken = setup.token;
  const invite = await mum.createInvite(setup.family.id);
  kidToken = (await kid.register({ invite_token: invite.token, username: 'kid', password: 'correct horse', display_name: 'Kid' })).token;
  conversationId = (await mum.family(setup.family.id)).conversation_id;
});

afterAll(async () => {
  for (const rt of clients) rt.disconnect();
  await server?.stop();
  if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
});

const image = () => new Blob([new Uint8Array(png(120, 80))], { type: 'image/png' });

describe('media through the SDK, against the real server', () => {
  it('uploads a photo and sends it over HTTP: the other member reads it with its dimensions and URLs', async () => {
    const progress: number[] = [];
    const photo = image();
    const uploaded = await mum.uploadFile(photo, { filename: 'garden.png', onProgress: (sent) => progress.push(sent) });
    expect(uploaded).toMatchObject({ kind: 'image', mime_type: 'image/png', filename: 'garden.png', width: 120, height: 80 });
    // Outside a browser (fetch) the progress is the start and the end.
    expect(progress).toEqual([0, photo.size]);
    const sent = await mum.sendMessage(conversationId, { body: '', attachment_ids: [uploaded.id] }, crypto.randomUUID());
    expect(sent.attachments.map((a) => a.id)).toEqual([uploaded.id]);
    const page = await kid.messages(conversationId);
    const seen = page.messages.find((m) => m.id === sent.id);
    expect(seen?.attachments[0]).toMatchObject({ id: uploaded.id, kind: 'image', width: 120 });
    expect(seen?.attachments[0]?.url).toMatch(new RegExp(`^/api/v1/media/${uploaded.id}/original\\?`));
  });

  it('the outbox uploads files and sends them over the socket as one message; a lost reply repeats nothing', async () => {
    const rt = new RealtimeClient({ url: `${server.url.replace('http', 'ws')}/socket`, token: mumToken, pushTimeoutMs: 2000, socketOptions: { transport: WebSocket } });
    clients.push(rt);
    rt.connect();
    let messages: Message[] = [];
    let joined = false;
    const channel = rt.joinConversation({ id: conversationId, type: 'family' }, {
      afterSeq: () => latestSeq(messages),
      onJoin: (reply) => {
        messages = mergeMessages(messages, reply.messages);
        joined = true;
      },
      onMessage: (m) => (messages = mergeMessages(messages, [m])),
    });
    await waitFor(() => joined, 'the join');
    const uploads: string[] = [];
    let lose = true;
    const outbox = new Outbox({
      upload: (blob: Blob, options: UploadOptions) => {
        uploads.push(options.filename);
        return mum.uploadFile(blob, options);
      },
      send: async (entry) => {
        const result = await channel.send(entry.body, entry.clientId, attachmentIds(entry));
        // The reply of the first send is lost: the outbox sends again with the same client_id.
        if (lose) {
          lose = false;
          return { ok: false, retryable: true, reason: 'timeout' };
        }
        return result;
      },
    });
    const entry = outbox.enqueue(conversationId, 'Two things', [
      { blob: image(), name: 'one.png' },
      { blob: new Blob(['Voice?'], { type: 'audio/webm' }), name: 'Voice message 2026-12-01 14-05.webm', durationMs: 3200 },
    ]);
    await outbox.idle();
    await outbox.flush();
    expect(outbox.list()).toEqual([]);
    expect(uploads).toEqual(['one.png', 'Voice message 2026-12-01 14-05.webm']);
    const stored = (await kid.messages(conversationId)).messages.filter((m) => m.client_id === entry.clientId);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.attachments.map((a) => a.filename)).toEqual(['one.png', 'Voice message 2026-12-01 14-05.webm']);
    await waitFor(() => messages.some((m) => m.client_id === entry.clientId), 'the live message');
  });

  it("maps the server's refusals: over the limit (413 with max_bytes), someone else's upload (422)", async () => {
    const error = await mum.uploadFile(new Blob([new Uint8Array(LIMIT + 1)], { type: 'application/octet-stream' }), { filename: 'big.bin' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'payload_too_large', status: 413, details: { max_bytes: LIMIT } });
    const theirs = await kid.uploadFile(image(), { filename: 'kid.png' });
    await expect(mum.sendMessage(conversationId, { body: 'stolen', attachment_ids: [theirs.id] })).rejects.toMatchObject({ code: 'validation_failed', status: 422 });
  });

  it('sets and clears the avatar from an image upload', async () => {
    const photo = await mum.uploadFile(image(), { filename: 'me.png' });
    const me = await mum.setAvatar(photo.id);
    expect(me.avatar_url).toMatch(new RegExp(`/api/v1/media/${photo.id}/`));
    expect((await mum.setAvatar(null)).avatar_url).toBeNull();
  });
});
