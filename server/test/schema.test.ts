// The schema declares what correctness and speed rely on: the keyset index, the uniqueness rules and
// cascading deletes; and the committed migration creates exactly the tables the schema defines.
import { readFileSync, readdirSync } from 'node:fs';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { expect, it } from 'vitest';
import { migrationsFolder } from '../src/db/connect.js';
import * as schema from '../src/db/schema.js';

const tables = [schema.instance, schema.users, schema.sessions, schema.families, schema.memberships, schema.invites, schema.passwordResets, schema.conversations, schema.participants, schema.messages];

it('has the unique indexes that seqs, direct pairs, idempotent sends, usernames and tokens rely on', () => {
  const unique = (table: (typeof tables)[number]) =>
    Object.fromEntries(
      getTableConfig(table)
        .indexes.filter((i) => i.config.unique)
        .map((i) => [i.config.name, i.config.columns.map((c) => ('name' in c ? c.name : '?'))]),
    );
  expect(unique(schema.messages)).toEqual({
    messages_conversation_seq_key: ['conversation_id', 'seq'],
    messages_client_id_key: ['conversation_id', 'sender_id', 'client_id'],
  });
  expect(unique(schema.conversations)).toEqual({ conversations_unique_key: ['unique_key'] });
  expect(unique(schema.users)).toEqual({ users_username_key: ['username'] });
  expect(unique(schema.sessions)).toEqual({ sessions_token_hash_key: ['token_hash'] });
  expect(unique(schema.invites)).toEqual({ invites_token_hash_key: ['token_hash'] });
  expect(unique(schema.passwordResets)).toEqual({ password_resets_token_hash_key: ['token_hash'] });
});

it('deletes dependent rows with their family, conversation or user', () => {
  const cascades = tables.flatMap((table) =>
    getTableConfig(table).foreignKeys.map((fk) => {
      const ref = fk.reference();
      return `${getTableConfig(table).name}.${ref.columns[0]!.name}->${getTableConfig(ref.foreignTable).name}:${fk.onDelete}`;
    }),
  );
  expect(cascades).toEqual(
    expect.arrayContaining([
      'messages.conversation_id->conversations:cascade',
      'participants.conversation_id->conversations:cascade',
      'memberships.family_id->families:cascade',
      'sessions.user_id->users:cascade',
      'invites.created_by->users:set null',
      'password_resets.user_id->users:cascade',
      'password_resets.created_by->users:set null',
    ]),
  );
  expect(getTableConfig(schema.instance).checks.map((c) => c.name)).toEqual(['instance_singleton']);
});

it('creates every table of the schema in the committed migrations', () => {
  const sql = readdirSync(migrationsFolder)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => readFileSync(`${migrationsFolder}/${f}`, 'utf8'))
    .join('\n');
  for (const table of tables) expect(sql).toContain(`CREATE TABLE "${getTableConfig(table).name}"`);
});
