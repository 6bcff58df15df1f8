/**
 * The message API between extension contexts and the background worker.
 * Every request is parsed with its zod schema on arrival (content scripts are
 * untrusted: they run on other people's pages). See docs/MESSAGES.md.
 */
import { z } from 'zod';
import { AccountHint, BatchWarning, CoverageClaim, Observation } from '../core/model';
import { accountRequestSchemas } from './account-schemas';
import { exportRequestSchemas } from './export-schemas';
import { importRequestSchemas } from './import-schemas';
import { ownerRequestSchemas } from './owner-schemas';

const Id = z.string().min(1).max(100);

/** `PagedListPosition` (src/connectors/types.ts); one that does not parse is dropped, never failing the capture. */
export const PagedListPosition = z.object({
  list: z.string().min(1).max(64),
  start: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  end: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  offset: z.number().int().min(0).max(1_000_000),
  count: z.number().int().min(0).max(2000),
  next: z.boolean(),
  total: z.number().int().min(0).max(1_000_000).optional(),
});

export const CaptureSubmit = z.object({
  connectorKey: z.string().min(1).max(40),
  pageUrl: z.string().url().max(2048),
  extractorVersion: z.string().max(32),
  observations: z.array(Observation).max(2000),
  coverage: z.array(CoverageClaim).max(20),
  accountHint: AccountHint.optional(),
  warnings: z.array(BatchWarning).max(50),
  paging: PagedListPosition.optional().catch(undefined),
});
export type CaptureSubmit = z.infer<typeof CaptureSubmit>;

/** Request schemas by message type. Read-side messages are the stable automation interface. */
export const requestSchemas = {
  'capture.submit': CaptureSubmit,
  'connectors.list': z.object({}),
  'connections.list': z.object({}),
  'connections.rename': z.object({ connectionId: Id, displayName: z.string().min(1).max(200) }),
  'connections.checkCounts': z.object({ connectionId: Id }),
  'batches.list': z.object({ connectionId: Id }),
  'records.list': z.object({
    connectionId: Id,
    stream: z.string().max(64).optional(),
    includeTombstoned: z.boolean().default(false),
    limit: z.number().int().min(1).max(10000).default(500),
    offset: z.number().int().min(0).default(0),
  }),
  'coverage.get': z.object({ connectionId: Id }),
  ...importRequestSchemas,
  ...exportRequestSchemas,
  ...ownerRequestSchemas,
  ...accountRequestSchemas,
} as const;

export type MessageType = keyof typeof requestSchemas;
export type RequestOf<T extends MessageType> = z.input<(typeof requestSchemas)[T]>;
export type ParsedRequestOf<T extends MessageType> = z.output<(typeof requestSchemas)[T]>;

/** Messages only a content script on a connector's host may send. */
export const CONTENT_SCRIPT_MESSAGES: ReadonlySet<MessageType> = new Set(['capture.submit']);

export interface ErrorReply {
  ok: false;
  error: { code: string; message: string };
}
export type Reply<T> = { ok: true; data: T } | ErrorReply;

export interface Envelope {
  type: string;
  payload: unknown;
}
