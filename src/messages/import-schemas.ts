/** Message schemas of the import pipeline (owned by the import feature; see docs/IMPORT.md). */
import { z } from 'zod';

const Id = z.string().min(1).max(100);
const Target = z.union([z.object({ connectionId: Id }), z.object({ newConnection: z.object({ accountName: z.string().max(200) }) })]);

export const importRequestSchemas = {
  /** Start the background job for a file the page staged in `staged`. */
  'import.start': z.object({ stagedId: Id }),
  'import.get': z.object({ jobId: Id }),
  /** Recent and unfinished jobs, newest first. */
  'import.list': z.object({ limit: z.number().int().min(1).max(50).default(10) }),
  'import.confirm': z.object({ jobId: Id, target: Target }),
  'import.cancel': z.object({ jobId: Id }),
  'import.resume': z.object({ jobId: Id }),
  'import.discard': z.object({ jobId: Id }),
  'import.settings.get': z.object({}),
  'import.settings.set': z.object({
    maxFileBytes: z.number().int().min(1024).max(4 * 1024 * 1024 * 1024).optional(),
    chunkRows: z.number().int().min(10).max(50_000).optional(),
  }),
} as const;
