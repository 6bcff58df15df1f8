// @vitest-environment happy-dom
/** Change notifications: what the background announces after a committed write, how pages coalesce them, and who may send them. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing';
import type { Browser } from 'wxt/browser';
import { changedAreas, createChangeBroadcaster, setupChangeBroadcast } from '../../../src/background/change-broadcast';
import { createAllHandlers } from '../../../src/background/handlers';
import { importRunnerFor } from '../../../src/background/import-handlers';
import { createOwnerHandlers } from '../../../src/background/owner-handlers';
import { memoryArea } from '../../../src/background/storage-guard';
import { routeMessage } from '../../../src/background/router';
import { createBackup, restoreBackup } from '../../../src/export/backup';
import { connectors } from '../../../src/connectors/registry';
import { amazonPageExtractor } from '../../../src/connectors/amazon/page';
import { amazonMeta } from '../../../src/connectors/amazon/meta';
import { toSubmission } from '../../../src/capture/page-capture';
import { requestSchemas } from '../../../src/messages/protocol';
import { CHANGED_MESSAGE, createRereadScheduler, fromBackground, isChangeNotice, type ChangeNotice } from '../../../src/messages/changes';
import { amazonExportCsvBytes, expectations, readAmazonFixture, type AmazonPageFixture } from '../../fixtures/amazon';
import { freshDb } from '../../support/streams';
import { stageBytes } from '../import/support';
import type { GleanerDatabase } from '../../../src/db/database';

function captureOf(fixture: AmazonPageFixture) {
  const { url } = expectations.pages[fixture];
  const doc = new DOMParser().parseFromString(readAmazonFixture(fixture), 'text/html');
  const target = { connectorKey: amazonMeta.key, extractorVersion: amazonMeta.extractorVersion, extractor: amazonPageExtractor, submit: async () => undefined };
  return { url, request: requestSchemas['capture.submit'].parse(toSubmission(target, new URL(url), amazonPageExtractor.extract(doc, new URL(url)))) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The background's handlers on a fresh database, with the broadcast listening and every notice collected. */
async function backgroundWithBroadcast() {
  const db = await freshDb();
  const sent: ChangeNotice[] = [];
  // Longer than the 150 ms the extension waits: on a loaded machine a capture's two transactions can be further apart.
  const stop = setupChangeBroadcast(db, (notice) => void sent.push(notice), { quietMs: 600, maxWaitMs: 5000 });
  const local = memoryArea();
  const session = memoryArea();
  const handlers = { ...createAllHandlers(db, connectors), ...createOwnerHandlers(db, connectors, { local, session, forgetExportToken: async () => undefined }) };
  stops.push(stop);
  /** Waits past the broadcast's quiet period and returns what was sent since the last call. */
  const drained = async () => {
    await sleep(1000);
    return sent.splice(0);
  };
  return { db, handlers, drained };
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  vi.useRealTimers();
});

describe('changedAreas', () => {
  it('names the announced tables of this database only', () => {
    const parts = {
      'idb://gleaner/records/': {},
      'idb://gleaner/records/connectionId': {},
      'idb://gleaner/batches/:dels': {},
      'idb://gleaner/importJobs/': {},
      'idb://gleaner/meta/': {},
      'idb://other/connections/': {},
    } as never;
    expect(changedAreas(parts, 'gleaner')).toEqual(['batches', 'records']);
    expect(changedAreas({ 'idb://gleaner/staged/': {} } as never, 'gleaner')).toEqual([]);
  });
});

describe('the background announces committed writes', () => {
  it('after a capture, a rename, an import, a delete and a restore: one small notice each, no record contents', async () => {
    const { db, handlers, drained } = await backgroundWithBroadcast();
    const { url, request } = captureOf('orders-2024-dana.html');

    const capture = await handlers['capture.submit'](request, { senderTabUrl: url });
    const afterCapture = await drained();
    expect(afterCapture).toEqual([{ type: CHANGED_MESSAGE, what: ['connections', 'batches', 'records'] }]);
    // Only the kinds of data that changed: no ids, names or record fields.
    expect(JSON.stringify(afterCapture)).not.toContain(capture.connectionId!);
    expect(JSON.stringify(afterCapture)).not.toMatch(/\d{3}-\d{7}-\d{7}/);

    await handlers['connections.rename']({ connectionId: capture.connectionId!, displayName: 'Dana at home' });
    expect(await drained()).toEqual([{ type: CHANGED_MESSAGE, what: ['connections'] }]);

    // An import: nothing is announced while it is staged, parsed and previewed, only once records land.
    const stagedId = await stageBytes(db, amazonExportCsvBytes(), 'Retail.OrderHistory.1.csv');
    const job = await handlers['import.start']({ stagedId });
    await importRunnerFor(db, connectors).whenIdle();
    expect(await drained()).toEqual([]);
    await handlers['import.confirm']({ jobId: job.id, target: { connectionId: capture.connectionId! } });
    await importRunnerFor(db, connectors).whenIdle();
    const afterImport = await drained();
    expect(afterImport.length).toBeGreaterThanOrEqual(1);
    expect(new Set(afterImport.flatMap((notice) => notice.what))).toEqual(new Set(['batches', 'records']));

    const { text } = await createBackup(db, connectors);
    await handlers['connections.delete']({ connectionId: capture.connectionId! });
    expect(await drained()).toEqual([{ type: CHANGED_MESSAGE, what: ['connections', 'batches', 'records'] }]);

    await restoreBackup(db, connectors, text);
    const afterRestore = await drained();
    expect(afterRestore.length).toBeGreaterThanOrEqual(1);
    expect(afterRestore.flatMap((notice) => notice.what)).toEqual(expect.arrayContaining(['connections', 'batches', 'records']));
  });

  it('announces nothing for the reads a page makes when it re-reads (no loop)', async () => {
    const { handlers, drained } = await backgroundWithBroadcast();
    const { url, request } = captureOf('orders-2024-dana.html');
    const capture = await handlers['capture.submit'](request, { senderTabUrl: url });
    await drained();
    const connectionId = capture.connectionId!;
    await handlers['connectors.list']();
    await handlers['connections.list']();
    await handlers['sources.overview']();
    await handlers['batches.list']({ connectionId });
    await handlers['records.list']({ connectionId, includeTombstoned: false, limit: 50, offset: 0 });
    await handlers['records.query']({ connectionId, method: 'any', includeTombstoned: false, limit: 100, offset: 0, text: 'echo' });
    await handlers['coverage.get']({ connectionId });
    await handlers['coverage.tombstones']({ connectionId });
    await handlers['tab.status']({ tabId: 3, url });
    await handlers['storage.health']();
    await handlers['import.list']({ limit: 20 });
    await handlers['export.status']();
    expect(await drained()).toEqual([]);
  });

  it('coalesces a burst into one notice, and sends at least once a second while writes keep coming', async () => {
    vi.useFakeTimers();
    const sent: ChangeNotice[] = [];
    const broadcaster = createChangeBroadcaster((notice) => void sent.push(notice), { quietMs: 150, maxWaitMs: 1000 });
    broadcaster.changed(['records']);
    broadcaster.changed(['batches']);
    vi.advanceTimersByTime(149);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ type: CHANGED_MESSAGE, what: ['batches', 'records'] }]);

    sent.length = 0;
    for (let elapsed = 0; elapsed < 2500; elapsed += 100) {
      broadcaster.changed(['records']);
      vi.advanceTimersByTime(100);
    }
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.length).toBeLessThanOrEqual(3);
    vi.advanceTimersByTime(200);
    expect(sent.length).toBeLessThanOrEqual(4);
    vi.advanceTimersByTime(10_000);
    const settled = sent.length;
    vi.advanceTimersByTime(10_000);
    expect(sent.length).toBe(settled);
  });

  it('swallows the error of a send nobody receives', async () => {
    const broadcaster = createChangeBroadcaster(() => Promise.reject(new Error('Could not establish connection. Receiving end does not exist.')), { quietMs: 1 });
    broadcaster.changed(['records']);
    broadcaster.flush();
    await sleep(5);
    const throwing = createChangeBroadcaster(() => {
      throw new Error('no receiver');
    });
    throwing.changed(['records']);
    expect(() => throwing.flush()).not.toThrow();
  });
});

describe('who may send a change notice, and what it can do', () => {
  const base = fakeBrowser.runtime.getURL('/');
  const id = fakeBrowser.runtime.id;

  it('pages accept one only from the background, in its exact shape', () => {
    const notice = { type: CHANGED_MESSAGE, what: ['records'] };
    expect(isChangeNotice(notice)).toBe(true);
    expect(isChangeNotice({ type: CHANGED_MESSAGE, what: ['records', 'secrets'] })).toBe(false);
    expect(isChangeNotice({ type: CHANGED_MESSAGE })).toBe(false);
    expect(isChangeNotice({ type: 'connections.list', payload: {} })).toBe(false);
    expect(fromBackground({ id, url: `${base}background.js` }, id, base)).toBe(true);
    // A content script on a web page, an extension page in a tab, another extension.
    expect(fromBackground({ id, url: 'https://www.amazon.com/your-orders/orders', tab: { id: 1 } as Browser.tabs.Tab }, id, base)).toBe(false);
    expect(fromBackground({ id, url: `${base}dashboard.html`, tab: { id: 2 } as Browser.tabs.Tab }, id, base)).toBe(false);
    expect(fromBackground({ id: 'someone-else', url: `${base}background.js` }, id, base)).toBe(false);
  });

  it('the router answers one that reaches the background as an unknown message, and runs no handler', async () => {
    const db: GleanerDatabase = await freshDb();
    const handlers = createAllHandlers(db, connectors);
    const spy = vi.fn();
    const spied = new Proxy(handlers, { get: (target, key) => (spy(key), Reflect.get(target, key)) });
    const notice = { type: CHANGED_MESSAGE, what: ['records'] };
    const fromPage = { id, url: `${base}dashboard.html` };
    const fromContent = { id, url: 'https://www.amazon.com/your-orders/orders', frameId: 0, tab: { id: 1, url: 'https://www.amazon.com/your-orders/orders' } } as unknown as Browser.runtime.MessageSender;
    expect(await routeMessage(spied, notice, fromPage)).toMatchObject({ ok: false, error: { code: 'unknown_message' } });
    expect(await routeMessage(spied, notice, fromContent)).toMatchObject({ ok: false, error: { code: 'unknown_message' } });
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('createRereadScheduler (pages)', () => {
  it('re-reads once per burst, one at a time, at most a few times a second', async () => {
    vi.useFakeTimers();
    let reads = 0;
    let finish: (() => void) | undefined;
    const scheduler = createRereadScheduler(
      () =>
        new Promise<void>((resolve) => {
          reads += 1;
          finish = resolve;
        }),
      { minGapMs: 300 },
    );
    scheduler.nudge();
    scheduler.nudge();
    await vi.advanceTimersByTimeAsync(0);
    expect(reads).toBe(1);
    // Nudges while a re-read runs become one more re-read after it, not before the gap.
    scheduler.nudge();
    scheduler.nudge();
    await vi.advanceTimersByTimeAsync(500);
    expect(reads).toBe(1);
    finish!();
    await vi.advanceTimersByTimeAsync(0);
    expect(reads).toBe(2);
    finish!();
    await vi.advanceTimersByTimeAsync(0);
    scheduler.nudge();
    await vi.advanceTimersByTimeAsync(100);
    expect(reads).toBe(2);
    await vi.advanceTimersByTimeAsync(300);
    expect(reads).toBe(3);
    finish!();
    // Idle: nothing runs.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reads).toBe(3);
    scheduler.stop();
    scheduler.nudge();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toBe(3);
  });

  it('defers re-reads while the page is hidden, and does one when it is shown', async () => {
    vi.useFakeTimers();
    let hidden = true;
    let reads = 0;
    const scheduler = createRereadScheduler(() => void (reads += 1), { isHidden: () => hidden, minGapMs: 0 });
    scheduler.nudge();
    scheduler.nudge();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toBe(0);
    hidden = false;
    scheduler.shown();
    await vi.advanceTimersByTimeAsync(0);
    expect(reads).toBe(1);
    scheduler.shown();
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toBe(1);
  });

  it('a failed re-read does not stop later ones', async () => {
    vi.useFakeTimers();
    let reads = 0;
    const scheduler = createRereadScheduler(
      () => {
        reads += 1;
        throw new Error('background asleep');
      },
      { minGapMs: 0 },
    );
    scheduler.nudge();
    await vi.advanceTimersByTimeAsync(0);
    scheduler.nudge();
    await vi.advanceTimersByTimeAsync(0);
    expect(reads).toBe(2);
  });
});
