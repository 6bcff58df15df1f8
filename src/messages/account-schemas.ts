/** Message schemas of account identity: merging two connections, moving one import (see docs/MESSAGES.md, "Accounts"). */
import { z } from 'zod';

const Id = z.string().min(1).max(100);

export const accountRequestSchemas = {
  /** What merging `absorbId` into `keepId` would do (records of each, overlap, server link), and any refusal; changes nothing. */
  'connections.merge.preview': z.object({ keepId: Id, absorbId: Id }),
  /** Takes a backup, then merges `absorbId` into `keepId` in one transaction. */
  'connections.merge': z.object({ keepId: Id, absorbId: Id }),
  /** What moving the import `batchId` to `connectionId` would do, and any refusal; changes nothing. */
  'imports.move.preview': z.object({ batchId: Id, connectionId: Id }),
  /** Takes a backup, then moves the import `batchId` to `connectionId` in one transaction. */
  'imports.move': z.object({ batchId: Id, connectionId: Id }),
} as const;
