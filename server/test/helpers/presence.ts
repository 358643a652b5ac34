// A family topic watched with the official client's Presence, as the web client sees who is online.
import type { Channel, Socket } from 'phoenix';
import { Presence as ClientPresence } from 'phoenix';
import { Changes } from './wait.js';

/** A joined `family:<id>` channel and what its Presence shows. */
export interface Watched {
  channel: Channel;
  presence: ClientPresence;
  /** Every presence_diff payload received, in order. */
  diffs: any[];
  /** user id -> metas, from the client's Presence. */
  users(): Map<string, any[]>;
  /** Resolves once the client's presence list satisfies `test` (checked on every sync). */
  until(test: (users: Map<string, any[]>) => boolean, timeoutMs?: number): Promise<Map<string, any[]>>;
}

/** Joins `family:<familyId>` on `socket` with the client's own Presence attached before the join. */
export async function watchFamily(socket: Socket, familyId: string): Promise<Watched> {
  const channel = socket.channel(`family:${familyId}`, {});
  const presence = new ClientPresence(channel);
  const diffs: any[] = [];
  channel.on('presence_diff', (diff: unknown) => {
    diffs.push(diff);
  });
  const users = () => new Map(presence.list((key: string, p: { metas: any[] }) => [key, p.metas] as const));
  const syncs = new Changes();
  presence.onSync(() => syncs.changed());
  await new Promise<void>((resolve, reject) => {
    channel
      .join()
      .receive('ok', () => resolve())
      .receive('error', (response: unknown) => reject(new Error(`join refused: ${JSON.stringify(response)}`)))
      .receive('timeout', () => reject(new Error('join timeout')));
  });
  const until = (test: (u: Map<string, any[]>) => boolean, timeoutMs = 5000) =>
    syncs.until(
      () => {
        const now = users();
        return test(now) && now;
      },
      () => `presence never matched; last list: ${JSON.stringify([...users()])}`,
      timeoutMs,
    );
  return { channel, presence, diffs, users, until };
}
