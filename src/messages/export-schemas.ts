/** Message schemas of the PDPP export, server link and backup/restore (owned by the export feature). See docs/EXPORT.md. */
import { z } from 'zod';

const Id = z.string().min(1).max(100);

export const exportRequestSchemas = {
  /** `{}` → `{serverOrigin?, batchRecords?}`. */
  'export.settings.get': z.object({}),
  /** Remember the server address; `batchRecords` tunes records per batch (1–5000, default 5000). */
  'export.settings.set': z.object({ serverOrigin: z.string().max(300).optional(), batchRecords: z.number().int().min(1).max(5000).optional() }),
  /** Every connection with its link and export progress. */
  'export.status': z.object({}),
  /**
   * Link a connection. With `enrollmentCode` (minted by the owner on the server) it enrolls with it;
   * without, on a loopback server with open owner routes, it registers the manifest and mints the code itself.
   * The page asks for host permission for the server first (a user gesture), the background checks it.
   */
  'export.link': z.object({ connectionId: Id, serverOrigin: z.string().min(1).max(300), enrollmentCode: z.string().max(300).optional() }),
  'export.unlink': z.object({ connectionId: Id }),
  /** Drain now (one connection, or every linked one); replies when done with each result. */
  'export.now': z.object({ connectionId: Id.optional() }),
  /** The owner's "Send again" for refused batches: re-register the manifest, requeue them, drain. */
  'export.retry': z.object({ connectionId: Id }),
  /** Outbound batches of one connection (newest first), without their records. */
  'export.batches': z.object({ connectionId: Id, limit: z.number().int().min(1).max(1000).default(50) }),
  /** The generated PDPP manifests of every connector. */
  'export.manifests': z.object({}),
  /** Write one backup file of everything (never a token); reply `{fileId, fileName, sizeBytes, counts}`. */
  'backup.create': z.object({}),
  /** Restore the uploaded backup in `exportFiles` row `fileId`: merged, never overwriting; idempotent. */
  'backup.restore': z.object({ fileId: Id }),
  /** Forget a generated or uploaded backup file. */
  'backup.discard': z.object({ fileId: Id }),
} as const;
