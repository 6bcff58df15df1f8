/**
 * Change notifications: after a write to the owner's data commits in the
 * background (a capture, an import chunk or commit, a restore, a rename, a
 * delete, a merge …), the background sends every open extension page one
 * small runtime message, `{type: 'gleaner.changed', what}`, and the popup and
 * dashboard re-read what they show. It names only which kinds of data changed,
 * never record contents. Sent by `src/background/change-broadcast.ts`.
 *
 * A notification only ever makes a page re-read through the ordinary read
 * messages, so a forged one can cost at most a re-read; pages still accept
 * them only from the background (same extension, an extension URL, no tab:
 * content scripts and extension pages opened in tabs carry one).
 */
import { browser, type Browser } from 'wxt/browser';

export const CHANGED_MESSAGE = 'gleaner.changed';

/** The tables whose committed writes are announced. */
export const CHANGE_AREAS = ['connections', 'batches', 'records'] as const;
export type ChangeArea = (typeof CHANGE_AREAS)[number];

export interface ChangeNotice {
  type: typeof CHANGED_MESSAGE;
  what: ChangeArea[];
}

export function isChangeNotice(message: unknown): message is ChangeNotice {
  if (typeof message !== 'object' || message === null) return false;
  const { type, what } = message as { type?: unknown; what?: unknown };
  return type === CHANGED_MESSAGE && Array.isArray(what) && what.length <= CHANGE_AREAS.length && what.every((area) => (CHANGE_AREAS as readonly unknown[]).includes(area));
}

/** True for the background (service worker or background page): this extension, an extension URL, no tab. */
export function fromBackground(sender: Pick<Browser.runtime.MessageSender, 'id' | 'url' | 'tab'>, runtimeId: string, extensionBase: string): boolean {
  return sender.id === runtimeId && !sender.tab && typeof sender.url === 'string' && sender.url.startsWith(extensionBase);
}

export interface RereadScheduler {
  /** Something changed: re-read now, after the running re-read, or when the page is shown again. */
  nudge(): void;
  /** The page became visible: re-read if something changed while it was hidden. */
  shown(): void;
  stop(): void;
}

/**
 * Coalesces change nudges into re-reads: one at a time, at least `minGapMs`
 * apart (a burst becomes at most a few re-reads a second), none while the
 * page is hidden (one when it is shown again). Costs nothing while idle.
 */
export function createRereadScheduler(reread: () => unknown, options: { isHidden?: () => boolean; minGapMs?: number } = {}): RereadScheduler {
  const minGapMs = options.minGapMs ?? 300;
  let running = false;
  let pending = false;
  let deferred = false;
  let stopped = false;
  let lastStart = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const run = async () => {
    timer = undefined;
    if (stopped) return;
    if (options.isHidden?.()) {
      deferred = true;
      return;
    }
    running = true;
    pending = false;
    lastStart = Date.now();
    try {
      await reread();
    } catch {
      // A failed re-read leaves what the page shows; the next change tries again.
    } finally {
      running = false;
    }
    if (pending) schedule();
  };

  function schedule() {
    if (stopped || running || timer) {
      pending = true;
      return;
    }
    const wait = Math.max(0, lastStart + minGapMs - Date.now());
    timer = setTimeout(() => void run(), wait);
  }

  return {
    nudge() {
      if (stopped) return;
      if (options.isHidden?.()) {
        deferred = true;
        return;
      }
      schedule();
    },
    shown() {
      if (!deferred || stopped) return;
      deferred = false;
      schedule();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * For extension pages: calls `reread` (coalesced, see `createRereadScheduler`)
 * whenever the background announces a committed change. Returns the
 * scheduler, whose `nudge()` other events (e.g. `storage.onChanged`) may call,
 * and whose `stop()` removes the listeners.
 */
export function watchChanges(reread: () => unknown, options: { minGapMs?: number } = {}): RereadScheduler {
  const hidden = () => document.visibilityState === 'hidden';
  const scheduler = createRereadScheduler(reread, { isHidden: hidden, minGapMs: options.minGapMs });
  const base = browser.runtime.getURL('/');
  // Returns nothing: this listener never answers, so replies to other pages' requests still come from the background.
  const onMessage = (message: unknown, sender: Browser.runtime.MessageSender): undefined => {
    if (isChangeNotice(message) && fromBackground(sender, browser.runtime.id, base)) scheduler.nudge();
    return undefined;
  };
  const onVisibility = () => {
    if (!hidden()) scheduler.shown();
  };
  browser.runtime.onMessage.addListener(onMessage);
  document.addEventListener('visibilitychange', onVisibility);
  return {
    nudge: scheduler.nudge,
    shown: scheduler.shown,
    stop() {
      scheduler.stop();
      browser.runtime.onMessage.removeListener(onMessage);
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
