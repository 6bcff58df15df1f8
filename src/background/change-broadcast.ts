/**
 * Tells open extension pages that the owner's data changed, so the popup and
 * dashboard re-read what they show (docs/MESSAGES.md, "Change notifications").
 *
 * The trigger is Dexie's `storagemutated` event, which fires in this context
 * after each write transaction commits: whatever lands (a capture, an import
 * chunk or its commit, a restore, a rename, a delete, a merge or a move) is
 * announced without each feature calling anything, and nothing is sent while
 * nothing is written. A burst is coalesced into one message after `quietMs` of
 * quiet, and at most one per `maxWaitMs` while writes keep coming (a long import).
 */
import Dexie, { type ObservabilitySet } from 'dexie';
import { browser } from 'wxt/browser';
import { CHANGE_AREAS, CHANGED_MESSAGE, type ChangeArea, type ChangeNotice } from '../messages/changes';

/** The announced tables written in a committed transaction of database `dbName` (Dexie part keys are `idb://<db>/<table>/<index>`). */
export function changedAreas(parts: ObservabilitySet, dbName: string): ChangeArea[] {
  const prefix = `idb://${dbName}/`;
  const found = new Set<ChangeArea>();
  for (const part of Object.keys(parts)) {
    if (!part.startsWith(prefix)) continue;
    const table = part.slice(prefix.length).split('/')[0];
    if ((CHANGE_AREAS as readonly string[]).includes(table ?? '')) found.add(table as ChangeArea);
  }
  return CHANGE_AREAS.filter((area) => found.has(area));
}

export interface ChangeBroadcaster {
  changed(what: readonly ChangeArea[]): void;
  /** Sends what is waiting now (tests). */
  flush(): void;
  dispose(): void;
}

export function createChangeBroadcaster(send: (notice: ChangeNotice) => Promise<unknown> | void, timing: { quietMs?: number; maxWaitMs?: number } = {}): ChangeBroadcaster {
  const quietMs = timing.quietMs ?? 150;
  const maxWaitMs = timing.maxWaitMs ?? 1000;
  let waiting = new Set<ChangeArea>();
  let firstAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (waiting.size === 0) return;
    const notice: ChangeNotice = { type: CHANGED_MESSAGE, what: CHANGE_AREAS.filter((area) => waiting.has(area)) };
    waiting = new Set();
    try {
      // With no page open there is no receiving end; that is not an error here.
      void Promise.resolve(send(notice)).catch(() => undefined);
    } catch {
      // as above
    }
  };

  return {
    changed(what) {
      if (what.length === 0) return;
      if (waiting.size === 0) firstAt = Date.now();
      for (const area of what) waiting.add(area);
      if (timer) clearTimeout(timer);
      const wait = Math.min(quietMs, Math.max(0, firstAt + maxWaitMs - Date.now()));
      timer = setTimeout(flush, wait);
    },
    flush,
    dispose() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      waiting = new Set();
    },
  };
}

/**
 * Announces committed writes to `db` to extension pages; returns a function
 * that stops it. Called synchronously from the background entrypoint.
 */
export function setupChangeBroadcast(
  db: Dexie,
  send: (notice: ChangeNotice) => Promise<unknown> | void = (notice) => browser.runtime.sendMessage(notice),
  timing: { quietMs?: number; maxWaitMs?: number } = {},
): () => void {
  const broadcaster = createChangeBroadcaster(send, timing);
  const listener = (parts: ObservabilitySet) => broadcaster.changed(changedAreas(parts, db.name));
  Dexie.on('storagemutated', listener);
  return () => {
    Dexie.on('storagemutated').unsubscribe(listener);
    broadcaster.dispose();
  };
}
