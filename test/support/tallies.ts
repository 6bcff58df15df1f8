/** The kept record tallies (schema v9) against the records themselves: every writer must keep them exact. */
import { expect } from 'vitest';
import type { GleanerDatabase } from '../../src/db/database';

export async function expectTalliesExact(db: GleanerDatabase, connectionId: string): Promise<void> {
  const expected = new Map<string, { stored: number; tombstoned: number }>();
  for (const record of await db.records.where('connectionId').equals(connectionId).toArray()) {
    const entry = expected.get(record.stream) ?? { stored: 0, tombstoned: 0 };
    entry.stored += 1;
    if (record.tombstone) entry.tombstoned += 1;
    expected.set(record.stream, entry);
  }
  // The rows as kept (read straight from the table, so a missing row is not counted again on the way).
  const kept = (await db.tallies.where('connectionId').equals(connectionId).toArray()).filter((row) => row.stored > 0 || row.tombstoned > 0);
  expect(Object.fromEntries(kept.map((row) => [row.stream, { stored: row.stored, tombstoned: row.tombstoned }]))).toEqual(Object.fromEntries(expected));
}
