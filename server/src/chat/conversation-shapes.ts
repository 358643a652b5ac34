/**
 * A per-node cache of the part of a conversation that all its participants share and that rarely changes
 * (type, title, family, the participants' public profiles), so that a send can announce the conversation's
 * new state without reading it again. Membership changes are caught by comparing participant ids with the
 * send's own result; renames are announced on the bus to every node; entries also expire after a minute.
 * The shapes themselves live in `deps.shapes` (shape-cache.ts); this module keeps every node's copy in step.
 * @module
 */
import { publish, subscribe } from '../bus/bus.js';
import type { Deps } from '../deps.js';
import { SHAPES_TOPIC } from './topics.js';


/** Drops a conversation's cached shape (or all of them) on every node. */
export async function forgetShapes(deps: Deps, conversationId?: string): Promise<void> {
  deps.shapes.drop(conversationId);
  await publish(deps.bus, { topic: SHAPES_TOPIC, event: 'forget', payload: conversationId ? { conversation_id: conversationId } : {} });
}

/** Drops this node's cached shapes when any node says so (call once per app). */
export function watchShapes(deps: Deps): () => void {
  return subscribe(deps.bus, SHAPES_TOPIC, (event) => {
    const id = event.payload.conversation_id;
    deps.shapes.drop(typeof id === 'string' ? id : undefined);
  });
}
