/**
 * Phoenix Channels JSON serializers: v2 frames are `[join_ref, ref, topic, event, payload]`, v1 frames are
 * objects `{topic, event, payload, ref, join_ref}` (what Phoenix's V1.JSONSerializer reads and writes).
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

/** One wire format: how a socket's frames are decoded and its outgoing frames encoded. */
export interface Serializer {
  /** The `vsn` query parameter that selects it. */
  readonly vsn: '1.0.0' | '2.0.0';
  /** Decodes a text frame; never throws. */
  decode(text: string): Frame | BadFrame;
  /** Encodes an outgoing frame. */
  encode(joinRef: Ref, ref: Ref, topic: string, event: string, payload: object): string;
}

const isRef = (value: unknown): value is Ref =>
  value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));

/** Checks the decoded fields of a frame, whichever serializer took them apart. */
function validate(joinRef: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown): Frame | BadFrame {
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

/** Parses JSON; undefined when it is not JSON. */
function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const INVALID_JSON: BadFrame = { error: 'invalid JSON', joinRef: null, ref: null, topic: null };

/** Protocol v2: array frames. */
export const V2: Serializer = {
  vsn: '2.0.0',
  decode(text) {
    const parsed = parse(text);
    if (parsed === undefined) return INVALID_JSON;
    if (!Array.isArray(parsed) || parsed.length !== 5) {
      return { error: 'a frame is [join_ref, ref, topic, event, payload]', joinRef: null, ref: null, topic: null };
    }
    const [joinRef, ref, topic, event, payload] = parsed as unknown[];
    return validate(joinRef, ref, topic, event, payload);
  },
  encode: (joinRef, ref, topic, event, payload) => JSON.stringify([joinRef, ref, topic, event, payload]),
};

/**
 * Protocol v1: object frames. A missing `ref` or `join_ref` is null; out, frames carry no `join_ref` at all
 * (Phoenix's V1 serializer writes only topic, event, payload and ref, replies included).
 */
export const V1: Serializer = {
  vsn: '1.0.0',
  decode(text) {
    const parsed = parse(text);
    if (parsed === undefined) return INVALID_JSON;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { error: 'a frame is {"topic", "event", "payload", "ref", "join_ref"}', joinRef: null, ref: null, topic: null };
    }
    const { join_ref: joinRef = null, ref = null, topic, event, payload } = parsed as Record<string, unknown>;
    return validate(joinRef, ref, topic, event, payload);
  },
  encode: (_joinRef, ref, topic, event, payload) => JSON.stringify({ topic, event, payload, ref }),
};

/** The serializer a `vsn` query parameter asks for (none: 1.0.0, as in Phoenix); undefined for any other. */
export function serializerFor(vsn: unknown): Serializer | undefined {
  if (vsn === undefined || vsn === V1.vsn) return V1;
  return vsn === V2.vsn ? V2 : undefined;
}

/** Whether a decode result is an error. */
export function isBadFrame(frame: Frame | BadFrame): frame is BadFrame {
  return 'error' in frame;
}

/** Encodes a `phx_reply`. */
export function reply(serializer: Serializer, joinRef: Ref, ref: Ref, topic: string, status: 'ok' | 'error', response: object): string {
  return serializer.encode(joinRef, ref, topic, 'phx_reply', { status, response });
}
