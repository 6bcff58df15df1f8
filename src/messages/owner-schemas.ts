/** Message schemas of the owner UI: capture pause, per-tab status, connection management, storage health (owned by the owner-UI feature). */
import { z } from 'zod';

const Id = z.string().min(1).max(100);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const Host = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9.-]+$/i);

export const ownerRequestSchemas = {
  /** `{}` → `{paused, pausedHosts}`. */
  'capture.settings': z.object({}),
  /** Pause or resume capture everywhere (`global`) or on one `site`. */
  'capture.pause': z.discriminatedUnion('scope', [
    z.object({ scope: z.literal('global'), paused: z.boolean() }),
    z.object({ scope: z.literal('site'), host: Host, paused: z.boolean() }),
  ]),
  /** What the popup shows for one tab: does a connector read it, is capture paused, what did the last capture see. */
  'tab.status': z.object({ tabId: z.number().int().min(0).optional(), url: z.string().max(2048).optional() }),
  /** Per connector: its owner jobs, connections and latest coverage facts. */
  'sources.overview': z.object({}),
  /** Erases one connection and everything tied to it, nothing of its siblings. */
  'connections.delete': z.object({ connectionId: Id }),
  /**
   * The records browser: filters applied next to the data, each record in the
   * service's nouns (with its parts: an order's items), counted per stream.
   */
  'records.query': z.object({
    connectionId: Id,
    /** Omitted: every stream of the connection at once (a search finds orders and items together). */
    stream: z.string().max(64).optional(),
    method: z.enum(['any', 'browser_polyfill', 'owner_artifact', 'both']).default('any'),
    from: Day.optional(),
    to: Day.optional(),
    text: z.string().max(200).optional(),
    includeTombstoned: z.boolean().default(false),
    limit: z.number().int().min(1).max(1000).default(100),
    offset: z.number().int().min(0).default(0),
  }),
  /** Per stream with a probable-duplicate rule: visible records and probable pairs, in the owner's nouns (derived on read). */
  'records.probable': z.object({ connectionId: Id }),
  /** Records marked gone, per stream and the method of the batch that marked them. */
  'coverage.tombstones': z.object({ connectionId: Id }),
  /** The eviction canary (checked now) and any standing alarm. */
  'storage.health': z.object({}),
  'storage.acknowledgeAlarm': z.object({}),
} as const;
