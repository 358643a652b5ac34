// Builds the people and families tests need, through the public API only.
import { afterAll, expect } from 'vitest';
import type { TestApp } from './app.js';
import { startTestApp } from './app.js';

/** A registered person. */
export interface Person {
  id: string;
  username: string;
  token: string;
  sessionId: string;
}

let counter = 0;
const unique = (prefix: string) => `${prefix}${process.pid}_${++counter}`.toLowerCase().slice(0, 32);

/** Runs first-run setup; returns the admin and their family. */
export async function setupInstance(t: TestApp, familyName = 'The Testers') {
  const username = unique('admin');
  const res = await t.as().post('/api/v1/setup', { username, password: 'correct horse', display_name: 'Admin', family_name: familyName });
  expect(res.status).toBe(201);
  const admin: Person = { id: res.body.data.user.id, username, token: res.body.data.token, sessionId: res.body.data.session_id };
  return { admin, familyId: res.body.data.family.id as string };
}

/** What {@link family} builds: every field is optional. */
export interface FamilyOptions<N extends readonly (string | undefined)[]> {
  /** The first family's name (setup's default otherwise). */
  familyName?: string;
  /** One member per display name (`undefined`: named after its username), in this order. */
  members?: N;
  /** Configuration variables for {@link startTestApp}. */
  env?: Record<string, string>;
  /** The app's other options (logger, bus, realtime limits). */
  app?: Parameters<typeof startTestApp>[1];
}

/** A running test app after first-run setup: the admin, their family and its conversation, the members. */
export interface Family<M> {
  t: TestApp;
  /** The socket URL for the phoenix client (the app listens on a loopback port). */
  url: string;
  admin: Person;
  familyId: string;
  /** The family conversation's id. */
  conv: string;
  members: M;
}

/**
 * The setup most test files start from (`const { t, admin, members: [bob] } = await family({ members: ['Bob'] })`
 * at the top of a file or describe block): the app closes after that file or block.
 */
export async function family<const N extends readonly (string | undefined)[] = readonly []>(
  options: FamilyOptions<N> = {},
): Promise<Family<{ -readonly [K in keyof N]: Person }>> {
  const t = await startTestApp(options.env, options.app);
  afterAll(() => t.close());
  const url = await t.listen();
  const { admin, familyId } = await setupInstance(t, options.familyName);
  const members: Person[] = [];
  for (const name of options.members ?? []) members.push(await addMember(t, admin, familyId, 'member', name));
  const conv = await familyConversation(t, admin, familyId);
  return { t, url, admin, familyId, conv, members: members as { -readonly [K in keyof N]: Person } };
}

/**
 * Runs `body` on an app of its own (configured by `env`) after first-run setup, and closes the app after,
 * whatever happens: for the tests that need other limits than the file's app.
 */
export async function withInstance<T>(env: Record<string, string>, body: (instance: { t: TestApp; admin: Person; familyId: string }) => Promise<T>): Promise<T> {
  const t = await startTestApp(env);
  try {
    const { admin, familyId } = await setupInstance(t);
    return await body({ t, admin, familyId });
  } finally {
    await t.close();
  }
}

/** Creates an invite into `familyId` as `inviter`, and registers a new person with it. */
export async function addMember(t: TestApp, inviter: Person, familyId: string, role: 'admin' | 'member' = 'member', displayName?: string): Promise<Person> {
  const invite = await t.as(inviter.token).post(`/api/v1/families/${familyId}/invites`, { role });
  expect(invite.status).toBe(201);
  const username = unique('user');
  const res = await t.as().post('/api/v1/auth/register', {
    invite_token: invite.body.data.token,
    username,
    password: 'correct horse',
    display_name: displayName ?? username,
  });
  expect(res.status).toBe(201);
  return { id: res.body.data.user.id, username, token: res.body.data.token, sessionId: res.body.data.session_id };
}

/** Creates a new family owned by `owner`; returns its id. */
export async function createFamily(t: TestApp, owner: Person, name = 'Other family'): Promise<string> {
  const res = await t.as(owner.token).post('/api/v1/families', { name });
  expect(res.status).toBe(201);
  return res.body.data.id as string;
}

/** The family conversation id of `familyId`. */
export async function familyConversation(t: TestApp, member: Person, familyId: string): Promise<string> {
  const res = await t.as(member.token).get(`/api/v1/families/${familyId}`);
  expect(res.status).toBe(200);
  return res.body.data.conversation_id as string;
}

/**
 * A new family of `size` people that `founder` creates and then leaves: `people[0]` is its admin, the
 * others are members, and nobody else is in it.
 */
export async function freshFamily(t: TestApp, founder: Person, size: number, name: string): Promise<{ familyId: string; people: Person[] }> {
  const familyId = await createFamily(t, founder, name);
  const people: Person[] = [];
  for (let i = 0; i < size; i++) people.push(await addMember(t, founder, familyId, i === 0 ? 'admin' : 'member', `${name} #${i}`));
  const left = await t.as(founder.token).delete(`/api/v1/families/${familyId}/members/${founder.id}`);
  expect(left.status).toBe(204);
  return { familyId, people };
}

/** A person in a family of their own that nobody else is in (created by `admin` then left). */
export async function outsider(t: TestApp, admin: Person): Promise<Person> {
  const { people } = await freshFamily(t, admin, 1, 'Transit family');
  return people[0]!;
}
