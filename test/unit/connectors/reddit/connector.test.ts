import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectorByKey, connectorForUrl } from '../../../../src/connectors/registry';
import { redditConnector } from '../../../../src/connectors/reddit';
import { canonicalPermalink, fullname, parseRedditTime, threadOf } from '../../../../src/connectors/reddit/ids';
import { buildManifest } from '../../../../src/export/manifest';

describe('the Reddit connector', () => {
  it('is registered for both hosts, with the reference’s six streams keyed by id and timed by created_utc', () => {
    expect(connectorByKey('reddit')).toBe(redditConnector);
    expect(connectorForUrl('https://old.reddit.com/user/dana_writes/saved/')).toBe(redditConnector);
    expect(connectorForUrl('https://www.reddit.com/user/dana_writes/saved/')).toBe(redditConnector);
    expect(redditConnector.streams.map((s) => [s.name, s.primaryKey, s.eventTimeField, s.crossMethodIdentity, s.crossMethodReconciliation])).toEqual(
      ['submitted', 'comments', 'saved', 'upvoted', 'downvoted', 'hidden'].map((name) => [name, ['id'], 'created_utc', true, false]),
    );
  });

  it('builds a manifest the server accepts: its own key, a nullable date-time cursor', async () => {
    const manifest = await buildManifest(redditConnector);
    expect(manifest.connector_key).toBe('gleaner-reddit');
    for (const stream of manifest.streams.filter((s) => s.name !== 'acquisition_batches')) {
      expect(stream.cursor_field).toBe('created_utc');
      expect((stream.schema.properties as Record<string, unknown>).created_utc).toMatchObject({ type: ['string', 'null'], format: 'date-time' });
    }
  });

  it('an account the owner names (any case, with or without u/) is the account pages and statistics.csv name', () => {
    expect(redditConnector.accountHintFromOwnerName?.('u/Dana_Writes')?.key).toBe('reddit:dana_writes');
    expect(redditConnector.accountHintFromOwnerName?.('dana_writes')?.key).toBe('reddit:dana_writes');
    expect(redditConnector.accountHintFromOwnerName?.('not a name!')).toBeUndefined();
  });
});

describe('ids and times', () => {
  it('normalises the t3_/t1_ prefix so export and page agree', () => {
    expect(fullname('1bfx2k9', 't3')).toBe('t3_1bfx2k9');
    expect(fullname('t3_1bfx2k9', 't3')).toBe('t3_1bfx2k9');
    expect(fullname('T1_KX7Q2M1', 't1')).toBe('t1_kx7q2m1');
    expect(fullname('t1_kx7q2m1', 't3')).toBeNull();
    expect(fullname('not an id!', 't3')).toBeNull();
  });
  it('one permalink form for page paths and export URLs', () => {
    const forms = ['/r/Breadit/comments/1bfx2k9/slug/', 'https://www.reddit.com/r/Breadit/comments/1bfx2k9/slug/', 'https://old.reddit.com/r/Breadit/comments/1bfx2k9/slug?context=3'];
    expect(new Set(forms.map(canonicalPermalink))).toEqual(new Set(['https://reddit.com/r/Breadit/comments/1bfx2k9/slug/']));
    expect(canonicalPermalink('https://evil.example/r/Breadit/')).toBeNull();
    expect(threadOf('/r/Breadit/comments/1bfx2k9/comment/kx7q2m1/?context=3')).toEqual({ subreddit: 'Breadit', postId: '1bfx2k9', commentId: 'kx7q2m1' });
  });
  it('reads the export’s dates and the pages’ stamps into one instant form', () => {
    expect(parseRedditTime('2024-03-15 13:45:22 UTC')).toBe('2024-03-15T13:45:22.000Z');
    expect(parseRedditTime('2024-03-15T13:45:22+00:00')).toBe('2024-03-15T13:45:22.000Z');
    expect(parseRedditTime('2024-03-15T13:45:22.000000+0000')).toBe('2024-03-15T13:45:22.000Z');
    expect(parseRedditTime('15/03/2024')).toBeNull();
    expect(parseRedditTime('')).toBeNull();
  });
});

describe('content-script weight', () => {
  it('page.ts, ids.ts and meta.ts import only types and each other', () => {
    for (const f of ['page.ts', 'ids.ts', 'meta.ts']) {
      const src = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../../src/connectors/reddit', f), 'utf8');
      for (const m of src.matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)) {
        if (m[1]) continue;
        expect(['./ids'], `${f} imports ${m[2]}`).toContain(m[2]);
      }
    }
  });
});

describe('receipt words', () => {
  it('an import’s next step names Reddit’s pages, not another service’s', async () => {
    const { nextActions } = await import('../../../../src/import/receipt-copy');
    const job = { status: 'committed', preview: { coveredThrough: '2024-03-16' } } as unknown as Parameters<typeof nextActions>[0];
    expect(nextActions(job, redditConnector, undefined)[0]).toBe('This export is covered through Mar 16, 2024. For anything newer, visit your Reddit lists on Reddit (old.reddit.com) while signed in, or request a fresh export later.');
  });
});
