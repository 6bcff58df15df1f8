/**
 * Guards against silent loss: keeps a canary row whose disappearance means the
 * browser evicted the database. (Persistence is requested from the dashboard:
 * `navigator.storage.persist()` is not available in a service worker.)
 */
import type { GleanerDatabase } from '../db/database';

export const CANARY_KEY = 'canary';

export async function ensureCanary(db: GleanerDatabase): Promise<{ present: boolean; plantedAt: string }> {
  const existing = await db.meta.get(CANARY_KEY);
  if (existing) return { present: true, plantedAt: String(existing.value) };
  const hadData = (await db.connections.count()) > 0;
  const plantedAt = new Date().toISOString();
  await db.meta.put({ key: CANARY_KEY, value: plantedAt });
  // Data without a canary cannot happen unless rows were evicted piecemeal; report it.
  return { present: !hadData, plantedAt };
}

export function setupStorageGuard(db: GleanerDatabase): void {
  void ensureCanary(db).catch(() => undefined);
}
