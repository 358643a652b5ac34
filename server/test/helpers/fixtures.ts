// Builds the people and families tests need, through the public API only.
import { expect } from 'vitest';
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

/**
 * A test app after first-run setup, with one member per display name in `memberNames` (default: one member
 * named after its username) in the admin's family: the setup most test files start from.
 */
export async function startFamily(familyName?: string, memberNames: (string | undefined)[] = [undefined]) {
  const t = await startTestApp();
  const { admin, familyId } = await setupInstance(t, familyName);
  const members: Person[] = [];
  for (const name of memberNames) members.push(await addMember(t, admin, familyId, 'member', name));
  return { t, admin, familyId, members };
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
