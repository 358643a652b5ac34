// A person's (or a conversation's) picture: their profile picture when they have one, else their initials on
// a colour that comes from their id, so the same person always has the same colour on every device.
import { useState } from 'react';

// Every colour here keeps white initials above 4.5:1 contrast.
const COLOURS = ['#1f5fbf', '#a3306b', '#2e7d32', '#8e44ad', '#b03a2e', '#00695c', '#6d4c41', '#37474f', '#c2185b', '#4a5a9a'];

/** A stable colour for `key` (a user or conversation id). */
export function avatarColour(key: string): string {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
  return COLOURS[hash % COLOURS.length] ?? '#37474f';
}

/** Up to two initials of a name: "Grand Pa" → "GP", "mum" → "M", "" → "?". */
export function initialsOf(name: string): string {
  const letters = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0]?.toUpperCase() ?? '')
    .join('');
  return letters || '?';
}

/** What an avatar shows. */
export interface AvatarProps {
  /** Whose it is: the colour comes from this id. */
  id: string;
  /** The name the initials come from (and the picture's text when `labelled`). */
  name: string;
  /** The profile picture's URL, if any. */
  url?: string | null | undefined;
  /** Size: "small" beside a message, "medium" in lists (the default), "large" in settings. */
  size?: 'small' | 'medium' | 'large';
  /** Online now (a green dot). */
  online?: boolean;
  /** The name is not written beside it, so the picture says whose it is; otherwise it is decoration (alt=""). */
  labelled?: boolean;
}

/** The avatar: a round picture, or initials on the person's colour. */
export function Avatar({ id, name, url, size = 'medium', online, labelled = false }: AvatarProps) {
  // A picture that fails (an expired link after a long time offline) falls back to the initials.
  const [failed, setFailed] = useState<string>();
  const picture = url && failed !== url ? url : undefined;
  return (
    <span
      className={`avatar avatar-${size}${picture ? ' has-picture' : ''}`}
      style={picture ? undefined : { backgroundColor: avatarColour(id), color: '#ffffff' }}
      data-avatar={picture ? 'picture' : 'initials'}
      {...(labelled ? { role: 'img', 'aria-label': name } : { 'aria-hidden': true })}
    >
      {picture ? <img src={picture} alt="" decoding="async" onError={() => setFailed(picture)} /> : initialsOf(name)}
      {online ? <span className="presence-dot" /> : null}
    </span>
  );
}
