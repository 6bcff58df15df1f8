/**
 * Guards against silent loss (Memex lost people's data to IndexedDB
 * eviction): keeps a canary row in the database and remembers, outside the
 * database, that it planted one. If the browser ever evicts the database the
 * canary vanishes with it while the note in `browser.storage.local` (which is
 * not quota-evicted) survives, so Gleaner can raise an alarm instead of
 * quietly starting empty. The alarm stays until the owner acknowledges it.
 *
 * Persistence itself is requested from the dashboard:
 * `navigator.storage.persist()` is not available in a service worker.
 */
import { browser } from 'wxt/browser';
import type { GleanerDatabase } from '../db/database';
import type { StorageAreaLike } from '../capture/settings';

export const CANARY_KEY = 'canary';
/** Key in `browser.storage.local` of the note that a canary was planted, and of any alarm. */
export const CANARY_NOTE_KEY = 'gleaner.canary';

export interface CanaryAlarm {
  /** When Gleaner noticed the canary was gone. */
  detectedAt: string;
  /** When the vanished canary had been planted. */
  plantedAt: string;
}

export interface CanaryStatus {
  /** True when the canary planted earlier was still there at this check. */
  present: boolean;
  plantedAt: string;
  /** Set once the canary was found missing; cleared only by the owner. */
  alarm?: CanaryAlarm;
}

interface CanaryNote {
  plantedAt?: string;
  alarm?: CanaryAlarm;
}

function readNote(value: unknown): CanaryNote {
  if (typeof value !== 'object' || value === null) return {};
  const raw = value as Record<string, unknown>;
  const alarm = raw.alarm as Record<string, unknown> | undefined;
  return {
    plantedAt: typeof raw.plantedAt === 'string' ? raw.plantedAt : undefined,
    alarm: alarm && typeof alarm.detectedAt === 'string' && typeof alarm.plantedAt === 'string' ? { detectedAt: alarm.detectedAt, plantedAt: alarm.plantedAt } : undefined,
  };
}

/** In-memory stand-in when no extension storage is available (unit tests without a browser). */
export function memoryArea(initial: Record<string, unknown> = {}): StorageAreaLike & { data: Record<string, unknown> } {
  const data: Record<string, unknown> = structuredClone(initial);
  return {
    data,
    async get(keys) {
      const wanted = Array.isArray(keys) ? keys : [keys];
      return Object.fromEntries(wanted.filter((key) => key in data).map((key) => [key, structuredClone(data[key])]));
    },
    async set(items) {
      for (const [key, value] of Object.entries(items)) data[key] = structuredClone(value);
    },
    async remove(keys) {
      for (const key of Array.isArray(keys) ? keys : [keys]) delete data[key];
    },
  };
}

/** `browser.storage.local`, or memory where the extension APIs are missing. */
export function localArea(): StorageAreaLike {
  return (browser?.storage?.local as unknown as StorageAreaLike | undefined) ?? memoryArea();
}

/**
 * Checks the canary, plants it when missing, and raises (and keeps) the alarm
 * when a canary planted earlier is gone, or records exist without one.
 */
export async function checkCanary(db: GleanerDatabase, area: StorageAreaLike, now = new Date().toISOString()): Promise<CanaryStatus> {
  const note = readNote((await area.get(CANARY_NOTE_KEY))[CANARY_NOTE_KEY]);
  const existing = await db.meta.get(CANARY_KEY);
  if (existing) {
    const plantedAt = String(existing.value);
    if (note.plantedAt !== plantedAt) await area.set({ [CANARY_NOTE_KEY]: { ...note, plantedAt } });
    return { present: true, plantedAt, alarm: note.alarm };
  }
  // Data without a canary cannot happen unless rows were evicted piecemeal.
  const hadData = (await db.connections.count()) > 0;
  let alarm = note.alarm;
  if (!alarm && (note.plantedAt || hadData)) alarm = { detectedAt: now, plantedAt: note.plantedAt ?? 'unknown' };
  await db.meta.put({ key: CANARY_KEY, value: now });
  await area.set({ [CANARY_NOTE_KEY]: { plantedAt: now, alarm } });
  // First ever plant: nothing was expected, so nothing is missing.
  return { present: !(note.plantedAt || hadData), plantedAt: now, alarm };
}

/** The owner has read the alarm: clear it (the new canary keeps guarding). */
export async function acknowledgeCanaryAlarm(area: StorageAreaLike): Promise<void> {
  const note = readNote((await area.get(CANARY_NOTE_KEY))[CANARY_NOTE_KEY]);
  await area.set({ [CANARY_NOTE_KEY]: { plantedAt: note.plantedAt } });
}

/** Backwards-compatible check without the outside note (kept for callers of the first version). */
export async function ensureCanary(db: GleanerDatabase): Promise<{ present: boolean; plantedAt: string }> {
  const status = await checkCanary(db, memoryArea());
  return { present: status.present, plantedAt: status.plantedAt };
}

export function setupStorageGuard(db: GleanerDatabase): void {
  void checkCanary(db, localArea()).catch(() => undefined);
}
