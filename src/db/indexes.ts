/** Index names shared by the schema and its readers, apart from database.ts so upgrades and helpers import them without a cycle. */

/** Compound index over tombstoned records only (v5): a record without `tombstone` has no `tombstone.at`, so no entry. */
export const TOMBSTONE_INDEX = '[connectionId+stream+eventTime+tombstone.at]';
