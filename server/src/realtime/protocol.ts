/**
 * Phoenix Channels protocol v2 (JSON serializer): frames are `[join_ref, ref, topic, event, payload]`.
 * @module
 */

/** A join_ref or ref: the client's string (numbers are accepted and echoed), or null. */
export type Ref = string | number | null;

/** A decoded frame from a client. */
export interface Frame {
  joinRef: Ref;
  ref: Ref;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

/** A frame that could not be decoded, with whatever could be recovered to reply to it. */
export interface BadFrame {
  error: string;
  joinRef: Ref;
  ref: Ref;
  topic: string | null;
}

const isRef = (value: unknown): value is Ref =>
  value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));

/** Decodes a text frame; never throws. */
export function decode(text: string): Frame | BadFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'invalid JSON', joinRef: null, ref: null, topic: null };
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) {
    return { error: 'a frame is [join_ref, ref, topic, event, payload]', joinRef: null, ref: null, topic: null };
  }
  const [joinRef, ref, topic, event, payload] = parsed as unknown[];
  const safeJoinRef = isRef(joinRef) ? joinRef : null;
  const safeRef = isRef(ref) ? ref : null;
  const safeTopic = typeof topic === 'string' && topic.length <= 200 ? topic : null;
  if (!isRef(joinRef) || !isRef(ref) || safeTopic === null || typeof event !== 'string' || event.length > 100) {
    return { error: 'malformed frame', joinRef: safeJoinRef, ref: safeRef, topic: safeTopic };
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { error: 'the payload must be an object', joinRef: safeJoinRef, ref: safeRef, topic: safeTopic };
  }
  return { joinRef, ref, topic: safeTopic, event, payload: payload as Record<string, unknown> };
}

/** Whether a decode result is an error. */
export function isBadFrame(frame: Frame | BadFrame): frame is BadFrame {
  return 'error' in frame;
}

/** Encodes a frame. */
export function encode(joinRef: Ref, ref: Ref, topic: string, event: string, payload: object): string {
  return JSON.stringify([joinRef, ref, topic, event, payload]);
}

/** Encodes a `phx_reply`. */
export function reply(joinRef: Ref, ref: Ref, topic: string, status: 'ok' | 'error', response: object): string {
  return encode(joinRef, ref, topic, 'phx_reply', { status, response });
}
