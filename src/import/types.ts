/** Rows the import pipeline keeps in the database (owned by the import feature; see docs/DATA-MODEL.md). */

/** One import of one staged file: its phase, progress and what was committed so far. */
export interface ImportJobRow {
  id: string;
  stagedId: string;
  status: string;
  connectionId?: string;
  [extra: string]: unknown;
}
