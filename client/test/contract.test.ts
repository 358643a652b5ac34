// The contract checked by the compiler: `npm run typecheck` compiles this file, and each `@ts-expect-error`
// line fails the typecheck if the generated types ever accepted that wrong call. At run time it checks the
// committed OpenAPI document lists the error codes as an enum.
import { readFileSync } from 'node:fs';
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import type { ApiErrorCode, Me, Message, paths } from '../src/index.js';

const meta = { request_id: 'r', trace_id: '0'.repeat(32), duration_ms: 1 };
const answer = () => Promise.resolve(new Response(JSON.stringify({ data: {}, meta }), { status: 200, headers: { 'content-type': 'application/json' } }));
const client = createClient<paths>({ baseUrl: 'http://h', fetch: answer });
const document = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));

describe('the generated paths', () => {
  it('reject a wrong path, body or response shape at compile time', async () => {
    // @ts-expect-error: there is no such path in the OpenAPI document (it is /api/v1/conversations)
    await client.GET('/api/v1/conversation', {});
    // @ts-expect-error: a message's `body` is text, and its attachments go as a list of upload ids
    await client.POST('/api/v1/conversations/{id}/messages', { params: { path: { id: 'c1' } }, body: { body: 42, attachment_ids: 'u1' } });
    // @ts-expect-error: the path parameter `id` is required
    await client.GET('/api/v1/conversations/{id}', { params: { path: {} } });
    const me = (await client.GET('/api/v1/me')).data;
    // @ts-expect-error: GET /me answers a Me in the envelope, not a Message
    const wrong: Message | undefined = me?.data;
    const right: Me | undefined = me?.data;
    expect([wrong, right]).toEqual([{}, {}]);
  });

  it('make ApiErrorCode the enum of the document, plus network', () => {
    const codes: string[] = document.components.schemas.Error.properties.error.properties.code.enum;
    expect(codes).toContain('validation_failed');
    const known: ApiErrorCode[] = ['network', 'no_shared_family', 'rate_limited'];
    // @ts-expect-error: not an error code of the contract
    const unknown: ApiErrorCode = 'teapot';
    expect(known.filter((code) => code !== 'network').every((code) => codes.includes(code))).toBe(true);
    expect(codes).not.toContain(unknown);
  });
});
