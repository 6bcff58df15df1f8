import { describe, expect, it } from 'vitest';
import { parseXArchive, xArchiveParser } from '../../../../src/connectors/x/artifact';
import { XTweet } from '../../../../src/connectors/x/streams';
import { parseArchiveDate, unescapeEntities } from '../../../../src/connectors/x/util';
import { accounts, archiveFiles, expectations, ids, texts } from '../../../fixtures/x';

const files = (record: Record<string, string>, omit: string[] = []) =>
  Object.entries(record)
    .filter(([path]) => !omit.includes(path) && xArchiveParser.claims(path))
    .map(([path, text]) => ({ path, text: () => text }));

const byId = (observations: { data: Record<string, unknown> }[]) => new Map(observations.map((o) => [o.data.id as string, o.data]));

describe('X archive parser', () => {
  it('reads every part the manifest names, the notes, edits and deleted posts; skips the repost; fails the undated entry', async () => {
    const result = await parseXArchive(files(archiveFiles('dana')));
    expect(result.observations.map((o) => o.data.id).sort()).toEqual(expectations.archive.ids);
    expect(result).toMatchObject({ rowsRead: expectations.archive.rowsRead, skipped: expectations.archive.skipped, failed: expectations.archive.failed });
    expect(result.warnings.map((w) => w.code).sort()).toEqual(['post_unreadable', 'repost_skipped']);
    for (const observation of result.observations) expect(XTweet.safeParse(observation.data).error).toBeUndefined();
    expect(result.accountHint).toEqual({ key: accounts.dana.key, label: '@danawhit', evidence: 'data/account.js in your X archive' });
    expect(result.coverage).toEqual([expect.objectContaining({ stream: 'tweets', ...expectations.archive.coverage, completeness: 'partial' })]);
    expect(result.entries.sort()).toEqual(['data/account.js', 'data/deleted-tweets.js', 'data/manifest.js', 'data/note-tweet.js', 'data/tweets-part1.js', 'data/tweets.js']);
  });

  it('gives a long post its whole text from note-tweet.js, entities decoded', async () => {
    const posts = byId((await parseXArchive(files(archiveFiles('dana')))).observations);
    expect(posts.get(ids.long)!.text).toBe(texts.long);
    // Without the notes, the cut text (ending "…", its t.co link kept) is all there is.
    const cut = byId((await parseXArchive(files(archiveFiles('dana'), ['data/note-tweet.js']))).observations);
    expect(cut.get(ids.long)!.text).toMatch(/… https:\/\/t\.co\/\w+$/);
  });

  it('turns strings into numbers, decodes entities, expands t.co links and drops the media link', async () => {
    const posts = byId((await parseXArchive(files(archiveFiles('dana')))).observations);
    expect(posts.get(ids.amp)).toEqual({
      id: ids.amp, text: texts.amp, created_at: '2024-06-03T08:10:05.000Z', favorite_count: 8, retweet_count: 1, lang: 'en', media_count: 0, url_count: 0, url: `https://x.com/danawhit/status/${ids.amp}`,
    });
    expect(posts.get(ids.reply)).toMatchObject({ text: texts.replyExpanded, in_reply_to_status_id: ids.priyaReplied, in_reply_to_screen_name: 'priyaraman', url_count: 1 });
    expect(posts.get(ids.photo)).toMatchObject({ text: texts.photo, media_count: 1 });
    expect(posts.get(ids.old)).toMatchObject({ text: texts.old, created_at: '2019-03-14T09:26:53.000Z' });
  });

  it('keeps both ids of an edited post, tied into one history', async () => {
    const posts = byId((await parseXArchive(files(archiveFiles('dana')))).observations);
    expect(posts.get(ids.edited)).toMatchObject({ text: texts.edited, edit_ids: [ids.edited, ids.editedV2] });
    expect(posts.get(ids.edited)!.edit_of).toBeUndefined();
    expect(posts.get(ids.editedV2)).toMatchObject({ text: texts.editedV2, edit_of: ids.edited, edit_ids: [ids.edited, ids.editedV2] });
  });

  it('keeps a deleted post, marked as deleted by the owner', async () => {
    const posts = byId((await parseXArchive(files(archiveFiles('dana')))).observations);
    expect(posts.get(ids.deleted)).toMatchObject({ text: texts.deleted, deleted_by_owner: true, deleted_at: expectations.deleted.deletedAt });
    expect(posts.get(ids.amp)!.deleted_by_owner).toBeUndefined();
  });

  it('warns when a part the manifest names is missing', async () => {
    const result = await parseXArchive(files(archiveFiles('dana'), ['data/tweets-part1.js']));
    const missing = result.warnings.find((w) => w.code === 'missing_part')!;
    expect(missing.message).toMatch(/data\/tweets-part1\.js.*upload the whole archive zip/);
    expect(result.observations.map((o) => o.data.id)).not.toContain(ids.photo);
  });

  it('reads an older archive without a manifest (tweet.js)', async () => {
    const result = await parseXArchive(files(archiveFiles('sam')));
    expect(result.observations.map((o) => o.data.id)).toEqual(expectations.archive.sam);
    expect(result.accountHint?.key).toBe(accounts.sam.key);
  });

  it('reads a tweets.js uploaded bare by the global it assigns, without an account', async () => {
    const result = await parseXArchive([{ path: 'tweets (1).js', text: () => archiveFiles('dana')['data/tweets.js']! }]);
    expect(result.observations.map((o) => o.data.id).sort()).toEqual([ids.long, ids.amp, ids.reply, ids.edited, ids.editedV2].sort());
    expect(result.accountHint).toBeUndefined();
  });

  it('emits bounded chunks', async () => {
    const result = await parseXArchive(files(archiveFiles('dana')), 3);
    expect(result.chunks).toBeGreaterThanOrEqual(3);
    expect(result.observations).toHaveLength(expectations.archive.ids.length);
  });

  it('sniffs the archive files by content', () => {
    const head = (text: string) => ({ path: 'x', format: 'js-array' as const, head: text });
    expect(xArchiveParser.sniff(head('window.YTD.tweets.part0 = ['))).toBeGreaterThanOrEqual(0.9);
    expect(xArchiveParser.sniff(head('window.YTD.tweet.part0 = ['))).toBeGreaterThanOrEqual(0.9);
    expect(xArchiveParser.sniff(head('window.__THAR_CONFIG = {'))).toBeGreaterThanOrEqual(0.5);
    expect(xArchiveParser.sniff({ path: 'x', format: 'json', head: '[{"a":1}]' })).toBe(0);
    expect(xArchiveParser.claims('data/tweets-part12.js')).toBe(true);
    expect(xArchiveParser.claims('twitter-2024/data/note-tweet.js')).toBe(true);
    expect(xArchiveParser.claims('data/like.js')).toBe(false);
  });
});

describe('X archive formats', () => {
  it('parses created_at by X’s explicit English format only', () => {
    expect(parseArchiveDate('Wed Jun 05 13:45:22 +0000 2024')).toBe('2024-06-05T13:45:22.000Z');
    expect(parseArchiveDate('Wed Jun 05 15:45:22 +0200 2024')).toBe('2024-06-05T13:45:22.000Z');
    expect(parseArchiveDate('Fri Feb 31 10:00:00 +0000 2024')).toBeUndefined();
    expect(parseArchiveDate('2024-06-05 13:45')).toBeUndefined();
    expect(parseArchiveDate('mer. juin 05 13:45:22 +0000 2024')).toBeUndefined();
  });

  it('decodes HTML entities once', () => {
    expect(unescapeEntities('fish &amp; chips &lt;3 &#39;ok&#39; &#x1F331; &amp;amp;')).toBe("fish & chips <3 'ok' 🌱 &amp;");
  });
});
