// A system row in a chat ("Gran joined"), and the notices of a family chat from the store.
import type { Conversation } from '@famichat/client';
import { useMemo } from 'react';
import { useApp } from '../state/app';
import { shortTime } from '../state/logic';
import type { Notice } from './notices';
import { familyNotices } from './notices';

const NONE: Notice[] = [];

/** One notice, centred between the messages. */
export function SystemNotice({ notice }: { notice: Notice }) {
  return (
    <p className="system-notice">
      <span>
        {notice.text} · <time dateTime={notice.at}>{shortTime(notice.at)}</time>
      </span>
    </p>
  );
}

/** The "joined" / "left" notices of a family conversation (none for other kinds). */
export function useFamilyNotices(conversation: Conversation): Notice[] {
  const familyId = conversation.type === 'family' ? conversation.family_id : null;
  const family = useApp((s) => (familyId ? s.families.find((f) => f.id === familyId) : undefined));
  const live = useApp((s) => (familyId ? s.notices[familyId] : undefined));
  return useMemo(() => (familyId ? familyNotices(family, live ?? NONE) : NONE), [familyId, family, live]);
}
