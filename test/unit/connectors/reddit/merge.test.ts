// @vitest-environment happy-dom
/**
 * Reddit's real shapes through the merge engine: export-only saved and voted
 * items filled by pages, edits, truncations and removals, `none` votes, and the
 * invariants as a property over the fixtures in every order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBatch } from '../../../../src/core/merge-engine';
import { createConnection } from '../../../../src/core/connections';
import type { CoverageClaim, Observation, StoredRecord } from '../../../../src/core/model';
import type { GleanerDatabase } from '../../../../src/db/database';
import { redditExportParser } from '../../../../src/connectors/reddit/artifact';
import { redditPageExtractor } from '../../../../src/connectors/reddit/page';
import { redditStreams } from '../../../../src/connectors/reddit/streams';
import { REDDIT_EXPORT_FILES, danaVisibleByStream, expectations, readRedditFixture, redditExportText, type RedditPageFixture } from '../../../fixtures/reddit';
import { freshDb } from '../../../support/streams';

interface Batch {
  name: string;
  method: 'browser_polyfill' | 'owner_artifact';
  observations: Observation[];
  coverage: CoverageClaim[];
  dataAsOf: string;
}

function pageBatch(name: RedditPageFixture, dataAsOf: string, html = readRedditFixture(name), url = expectations.pages[name].url): Batch {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const capture = redditPageExtractor.extract(doc, new URL(url));
  return { name, method: 'browser_polyfill', observations: capture.observations, coverage: capture.coverage, dataAsOf };
}

function exportBatch(dataAsOf = '2024-04-01T09:12:00.000Z', files = REDDIT_EXPORT_FILES.map((name) => ({ path: name, text: () => redditExportText(name) }))): Batch {
  const parsed = redditExportParser.parse(files);
  return { name: 'export', method: 'owner_artifact', observations: parsed.observations, coverage: parsed.coverage, dataAsOf };
}

let seq = 0;
async function apply(db: GleanerDatabase, connectionId: string, batch: Batch) {
  seq++;
  return applyBatch(db, {
    connectionId,
    connectorKey: 'reddit',
    streams: redditStreams,
    method: batch.method,
    provenance:
      batch.method === 'owner_artifact'
        ? { kind: 'artifact', fileName: 'export_Dana_Writes_20240401.zip', sha256: String(seq).padStart(64, 'a'), sizeBytes: 10, parserVersion: 'reddit-csv/1', importedAt: batch.dataAsOf }
        : { kind: 'page', pageUrl: 'https://old.reddit.com/user/dana_writes/saved/', capturedAt: batch.dataAsOf, extractorVersion: 'reddit-page/1' },
    coverage: batch.coverage,
    observations: batch.observations,
    dataAsOf: batch.dataAsOf,
    batchId: `b-${batch.name}-${seq}`,
  });
}

async function setup(batches: Batch[]) {
  const db = await freshDb();
  const connection = await createConnection(db, { connectorKey: 'reddit', connectorDisplayName: 'Reddit', accountHint: { key: 'reddit:dana_writes', label: 'u/Dana_Writes', evidence: 'test' } });
  for (const batch of batches) await apply(db, connection.id, batch);
  const records = await db.records.where('connectionId').equals(connection.id).toArray();
  return { db, connectionId: connection.id, records };
}

const record = (records: StoredRecord[], stream: string, key: string) => records.find((r) => r.stream === stream && r.key === key);
const visible = (records: StoredRecord[]) =>
  records
    .filter((r) => !r.tombstone)
    .map((r) => ({ stream: r.stream, key: r.key, eventTime: r.eventTime, data: r.data }))
    .sort((a, b) => `${a.stream}|${a.key}`.localeCompare(`${b.stream}|${b.key}`));

const PAGE_TIME = '2026-01-10T12:00:00.000Z';

describe('export-only saved and voted items, filled by pages', () => {
  it('stay undated and untitled until a listing page shows them; then the page’s title and date fill them', async () => {
    const { records: before } = await setup([exportBatch()]);
    for (const { stream, id } of expectations.overlap.filled) {
      const r = record(before, stream, id)!;
      expect(r.eventTime).toBe('');
      expect(r.data.title).toBeUndefined();
    }
    const { records } = await setup([exportBatch(), pageBatch('old-saved-dana.html', PAGE_TIME), pageBatch('old-upvoted-dana.html', PAGE_TIME)]);
    for (const { stream, id, title, created_utc } of expectations.overlap.filled) {
      const r = record(records, stream, id)!;
      expect(r.data).toMatchObject({ title, created_utc });
      expect(r.eventTime).toBe(created_utc);
      expect([...r.methods].sort()).toEqual(['browser_polyfill', 'owner_artifact']);
    }
    for (const { stream, id } of expectations.overlap.neverFilled) {
      const r = record(records, stream, id)!;
      expect(r.eventTime).toBe('');
      expect(r.data.created_utc).toBeUndefined();
    }
  });

  it('a vote of none never becomes an upvote, whatever else arrives', async () => {
    const { records } = await setup([exportBatch(), pageBatch('old-upvoted-dana.html', PAGE_TIME)]);
    expect(records.some((r) => r.key === expectations.export.noneVote)).toBe(false);
    expect(records.filter((r) => r.stream === 'upvoted').map((r) => r.key).sort()).toEqual(['t1_kz1y2x3', 't3_1bz8w0f', 't3_1c1hh5m']);
  });
});

describe('comment text across methods', () => {
  const comments = readRedditFixture('old-comments-dana.html');
  const exportText = "Update: the loaf rose! Thanks all.\n\nNext time I'll try a longer cold retard.";
  const commentsWithBody = (body: string) => comments.replace("<p>Update: the loaf rose! Thanks all.</p>\n<p>Next time I&#x27;ll try a longer cold retard.</p>\n", body);

  it('an edited comment: the newer text wins by observation time, whichever arrives first', async () => {
    const edited = pageBatch('old-comments-dana.html', PAGE_TIME, commentsWithBody('<p>Update: the loaf rose! EDIT: and fell again.</p>'));
    expect(edited.observations.find((o) => o.data.id === 't1_kx7q2m1')!.data.body).toBe('Update: the loaf rose! EDIT: and fell again.');
    for (const order of [[exportBatch(), edited], [edited, exportBatch()]]) {
      const { records } = await setup(order);
      expect(record(records, 'comments', 't1_kx7q2m1')!.data.body).toBe('Update: the loaf rose! EDIT: and fell again.');
    }
    // An older page (before the export was made) loses to the export's text.
    const older = pageBatch('old-comments-dana.html', '2024-03-20T00:00:00.000Z', commentsWithBody('<p>Update: the loaf rose! EDIT: and fell again.</p>'));
    const { records } = await setup([exportBatch(), older]);
    expect(record(records, 'comments', 't1_kx7q2m1')!.data.body).toBe(exportText);
  });

  it('a shorter, truncated text never replaces the longer one, even when newer', async () => {
    const truncated = pageBatch('old-comments-dana.html', PAGE_TIME, commentsWithBody('<p>Update: the loaf rose! Thanks…</p>'));
    for (const order of [[exportBatch(), truncated], [truncated, exportBatch()]]) {
      const { records } = await setup(order);
      expect(record(records, 'comments', 't1_kx7q2m1')!.data.body).toBe(exportText);
    }
  });

  it('[removed] and [deleted] never replace real text', async () => {
    for (const marker of ['[removed]', '[deleted]']) {
      const removed = pageBatch('old-comments-dana.html', PAGE_TIME, commentsWithBody(`<p>${marker}</p>`));
      expect(removed.observations.find((o) => o.data.id === 't1_kx7q2m1')!.data.body).toBeUndefined();
      const { records } = await setup([exportBatch(), removed]);
      expect(record(records, 'comments', 't1_kx7q2m1')!.data.body).toBe(exportText);
    }
    // The export's own [deleted] row is kept, without a body.
    const { records } = await setup([exportBatch()]);
    expect(record(records, 'comments', expectations.export.deletedComment)!.data.body).toBeUndefined();
  });
});

describe('merge invariants over the Reddit fixtures', () => {
  const pages: RedditPageFixture[] = ['old-submitted-dana.html', 'old-comments-dana.html', 'old-saved-dana.html', 'old-upvoted-dana.html', 'www-submitted-dana.html', 'www-comments-dana.html'];
  // Each batch's data time is its own, not its arrival: merges must commute.
  const all = (): Batch[] => [exportBatch(), ...pages.map((name, index) => pageBatch(name, `2026-01-1${index}T12:00:00.000Z`))];

  it('every order of the same batches gives the same visible set, and it is every id of every source', async () => {
    const reference = visible((await setup(all())).records);
    const expected = danaVisibleByStream();
    for (const stream of Object.keys(expected)) expect(reference.filter((r) => r.stream === stream).map((r) => r.key), stream).toEqual(expected[stream]);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(all(), { minLength: 7, maxLength: 7 }), async (order) => {
        expect(visible((await setup(order)).records)).toEqual(reference);
      }),
      { numRuns: 15 },
    );
  });

  it('a capture claiming a full window (all of time) never hides an export-only record', async () => {
    const saved = pageBatch('old-saved-dana.html', PAGE_TIME);
    const full = { ...saved, coverage: [{ stream: 'saved', start: '2000-01-01', end: '2030-12-31', completeness: 'full' as const }] };
    await fc.assert(
      fc.asyncProperty(fc.boolean(), async (exportFirst) => {
        const { records } = await setup(exportFirst ? [exportBatch(), full] : [full, exportBatch()]);
        expect(records.filter((r) => r.tombstone)).toEqual([]);
        for (const id of expectations.export.byStream.saved!) expect(record(records, 'saved', id)).toBeDefined();
      }),
      { numRuns: 4 },
    );
  });
});
