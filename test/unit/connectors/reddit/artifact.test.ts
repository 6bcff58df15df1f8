import { describe, expect, it } from 'vitest';
import { redditExportParser } from '../../../../src/connectors/reddit/artifact';
import { redditStreams } from '../../../../src/connectors/reddit/streams';
import { ARTIFACT_LIMITS } from '../../../../src/artifacts/limits';
import { openArtifact } from '../../../../src/artifacts/open-artifact';
import { bytesSource } from '../../../../src/artifacts/source';
import { connectors } from '../../../../src/connectors/registry';
import type { ParsedChunk, ParseSummary, StreamFile } from '../../../../src/artifacts/streaming';
import type { Observation } from '../../../../src/core/model';
import { REDDIT_EXPORT_FILES, REDDIT_EXPORT_ZIP_NAME, expectations, makeRedditExportZip, redditExportBytes, redditExportText, type RedditExportFile } from '../../../fixtures/reddit';

const allFiles = () => REDDIT_EXPORT_FILES.map((name) => ({ path: name, text: () => redditExportText(name) }));
const textFile = (path: string, text: string) => ({ path, text: () => text });
const ids = (observations: Observation[], stream: string) => observations.filter((o) => o.stream === stream).map((o) => o.data.id).sort();
const find = (observations: Observation[], id: string, stream?: string) => observations.find((o) => o.data.id === id && (!stream || o.stream === stream))?.data;

function streamFile(path: string, bytes: Uint8Array): StreamFile {
  return {
    path,
    sizeBytes: bytes.length,
    fingerprint: `size:${bytes.length}`,
    async *bytes() {
      // Small pieces, so rows, quoted bodies and the BOM straddle chunk boundaries.
      for (let at = 0; at < bytes.length; at += 7) yield bytes.subarray(at, at + 7);
    },
  };
}

async function drain(files: StreamFile[], chunkRows: number): Promise<{ chunks: ParsedChunk[]; summary: ParseSummary }> {
  const generator = redditExportParser.parseChunks(files, { chunkRows, limits: ARTIFACT_LIMITS });
  const chunks: ParsedChunk[] = [];
  for (;;) {
    const next = await generator.next();
    if (next.done) return { chunks, summary: next.value };
    chunks.push(next.value);
  }
}

describe('redditExportParser.parse', () => {
  const result = redditExportParser.parse(allFiles());

  it('reads every file into its stream, with fullname keys (t3_/t1_ added to the bare ids)', () => {
    for (const [stream, expected] of Object.entries(expectations.export.byStream)) expect(ids(result.observations, stream), stream).toEqual(expected);
    expect(result).toMatchObject({ rowsRead: expectations.export.rowsRead, skipped: expectations.export.skipped, failed: expectations.export.failed });
    for (const o of result.observations) expect(redditStreams.find((s) => s.name === o.stream)!.schema.safeParse(o.data).success, `${o.stream} ${o.data.id}`).toBe(true);
  });

  it('takes the account from statistics.csv, and nothing else of it', () => {
    expect(result.accountHint).toEqual({ key: 'reddit:dana_writes', label: 'u/Dana_Writes', evidence: expect.stringContaining('statistics.csv') });
    const everything = JSON.stringify(result);
    expect(everything).not.toContain('dana.writes@example.org');
    expect(everything).not.toContain('198.51.100.23');
  });

  it('multi-line bodies with quotes and commas, a BOM, an extra gilding column', () => {
    expect(find(result.observations, expectations.export.multiLinePost.id)).toEqual({
      id: 't3_1bfx2k9',
      subreddit: 'Breadit',
      title: "What's a good first sourdough loaf?",
      permalink: 'https://reddit.com/r/Breadit/comments/1bfx2k9/whats_a_good_first_sourdough_loaf/',
      url: 'https://reddit.com/r/Breadit/comments/1bfx2k9/whats_a_good_first_sourdough_loaf/',
      selftext: expectations.export.multiLinePost.selftext,
      is_self: true,
      gilded: 0,
      created_utc: '2024-03-15T13:45:22.000Z',
    });
    expect(find(result.observations, 't3_18zq4cd')).toMatchObject({ url: 'https://example.org/lisbon-porto', domain: 'example.org', is_self: false, gilded: 1 });
    expect(find(result.observations, 't1_kq3z8vb')).toMatchObject({ body: expect.stringContaining('\n2. never camp in a dry riverbed, "just for one night"'), parent_id: 't1_kq3y1aa', is_top_level: false, link_id: 't3_1aqk2pz' });
  });

  it('a missing date stays unknown and says so; a [deleted] body is no text', () => {
    const undated = find(result.observations, expectations.export.undatedPost)!;
    expect(undated.created_utc).toBeUndefined();
    expect(undated.title).toBe('Naïve question about café crema ☕');
    expect(result.warnings.filter((w) => w.code === 'undated_row').map((w) => w.where)).toEqual(['posts.csv row 3']);
    const deleted = find(result.observations, expectations.export.deletedComment)!;
    expect(deleted.body).toBeUndefined();
    expect(deleted.created_utc).toBe('2023-12-24T18:00:03.000Z');
  });

  it('saved, vote and hidden rows: id, kind and community only, no date or title (never the import time)', () => {
    expect(find(result.observations, 't3_1a9vb3r', 'saved')).toEqual({ id: 't3_1a9vb3r', kind: 't3', is_post: true, subreddit: 'Sourdough', permalink: 'https://reddit.com/r/Sourdough/comments/1a9vb3r/hydration_chart_for_beginners/' });
    expect(find(result.observations, 't1_kmn3p8q', 'saved')).toMatchObject({ kind: 't1', is_post: false });
    expect(find(result.observations, 't1_kz1y2x3', 'upvoted')).toMatchObject({ kind: 't1', subreddit: 'Breadit' });
    for (const o of result.observations.filter((o) => ['saved', 'upvoted', 'downvoted', 'hidden'].includes(o.stream))) {
      expect(o.data.created_utc).toBeUndefined();
      expect(o.data.title).toBeUndefined();
    }
  });

  it('a vote of none is neither an upvote nor a downvote: skipped with its reason', () => {
    expect(result.observations.some((o) => o.data.id === expectations.export.noneVote)).toBe(false);
    expect(result.warnings.find((w) => w.code === 'vote_none')).toMatchObject({ where: 'post_votes.csv row 2' });
    expect(ids(result.observations, 'downvoted')).toEqual(['t3_16k0vqe']);
  });

  it('claims partial windows over dated rows only', () => {
    expect(result.coverage.map((c) => c.stream).sort()).toEqual(['comments', 'submitted']);
    for (const claim of result.coverage) {
      expect(claim.completeness).toBe('partial');
      expect({ start: claim.start, end: claim.end }).toEqual(expectations.export.coverage[claim.stream as 'submitted' | 'comments']);
    }
  });

  it('columns are read by name: reordered and new columns change nothing', () => {
    const text = 'gildings,body,title,NEW_COLUMN,id,date,subreddit,url,permalink,ip\n0,"two\nlines",A title,whatever,1abc234,2024-02-02 02:02:02 UTC,Breadit,https://www.reddit.com/r/Breadit/comments/1abc234/a/,https://www.reddit.com/r/Breadit/comments/1abc234/a/,10.0.0.1\n';
    const parsed = redditExportParser.parse([textFile('posts.csv', text)]);
    expect(parsed.observations).toEqual([{ stream: 'submitted', data: expect.objectContaining({ id: 't3_1abc234', title: 'A title', selftext: 'two\nlines', created_utc: '2024-02-02T02:02:02.000Z', is_self: true }) }]);
    expect(JSON.stringify(parsed)).not.toContain('10.0.0.1');
  });

  it('a renamed votes file is read by its header; each row’s permalink says post or comment', () => {
    const text = 'id,permalink,direction\nkz9y8x7,https://www.reddit.com/r/a/comments/1abc234/t/kz9y8x7/,up\n1abc234,https://www.reddit.com/r/a/comments/1abc234/t/,down\n';
    const parsed = redditExportParser.parse([textFile('my votes.csv', text)]);
    expect(parsed.observations.map((o) => [o.stream, o.data.id])).toEqual([['upvoted', 't1_kz9y8x7'], ['downvoted', 't3_1abc234']]);
  });

  it('a file whose header does not fit its name is skipped with a warning, not misread', () => {
    const parsed = redditExportParser.parse([textFile('posts.csv', 'id,permalink\n1abc234,https://www.reddit.com/r/a/comments/1abc234/t/\n')]);
    expect(parsed.observations).toEqual([]);
    expect(parsed.failed).toBe(1);
    expect(parsed.warnings.map((w) => w.code)).toEqual(['unknown_file']);
  });
});

describe('redditExportParser.sniff', () => {
  it.each(REDDIT_EXPORT_FILES)('recognises %s by its header', (name: RedditExportFile) => {
    expect(redditExportParser.sniff({ path: name, format: 'csv', head: redditExportText(name) })).toBeGreaterThanOrEqual(0.5);
  });
  it('refuses other services’ files', () => {
    expect(redditExportParser.sniff({ path: 'Retail.OrderHistory.1.csv', format: 'csv', head: 'Website,Order ID,Order Date,Purchase Order Number\n' })).toBe(0);
    expect(redditExportParser.sniff({ path: 'NetflixViewingHistory.csv', format: 'csv', head: 'Title,Date\n' })).toBe(0);
    expect(redditExportParser.sniff({ path: 'x.json', format: 'json', head: '[{"id":1}]' })).toBe(0);
  });
});

describe('redditExportParser.parseChunks', () => {
  it('streams the same records as the whole-text parse, in bounded chunks, with the account at the end', async () => {
    const files = REDDIT_EXPORT_FILES.map((name) => streamFile(name, redditExportBytes(name)));
    const { chunks, summary } = await drain(files, 2);
    const whole = redditExportParser.parse(allFiles());
    expect(chunks.length).toBeGreaterThan(4);
    for (const chunk of chunks) expect(chunk.rowsRead).toBeLessThanOrEqual(2);
    expect(chunks.flatMap((c) => c.observations)).toEqual(whole.observations);
    expect(chunks.reduce((n, c) => n + c.rowsRead, 0)).toBe(whole.rowsRead);
    expect(chunks.reduce((n, c) => n + c.skipped, 0)).toBe(whole.skipped);
    expect(chunks.reduce((n, c) => n + c.failed, 0)).toBe(whole.failed);
    expect(summary.accountHint).toEqual(whole.accountHint);
    expect(summary.coverage).toEqual(whole.coverage);
    expect(summary.entries.sort()).toEqual([...REDDIT_EXPORT_FILES].sort());
  });
});

describe('opening the export', () => {
  it('the zip is Reddit’s by content: its eight files are claimed, the IP log and messages never read', async () => {
    const opened = await openArtifact(bytesSource(makeRedditExportZip()), REDDIT_EXPORT_ZIP_NAME, connectors, ARTIFACT_LIMITS);
    expect(opened.connector.key).toBe('reddit');
    expect(opened.files.map((f) => f.path).sort()).toEqual([...REDDIT_EXPORT_FILES].sort());
  });

  it('one CSV uploaded bare is read on its own', async () => {
    const opened = await openArtifact(bytesSource(redditExportBytes('comments.csv')), 'comments.csv', connectors, ARTIFACT_LIMITS);
    expect(opened.connector.key).toBe('reddit');
    const { chunks } = await drain(opened.files, 1000);
    expect(ids(chunks.flatMap((c) => c.observations), 'comments')).toEqual(expectations.export.byStream.comments);
  });

  it('a renamed list of ids is claimed and told which file it must be', () => {
    const parsed = redditExportParser.parse([textFile('download.csv', redditExportText('saved_posts.csv'))]);
    expect(parsed.observations).toEqual([]);
    expect(parsed.warnings[0]!.message).toMatch(/upload the whole export zip, or the file under its own name/);
    expect(redditExportParser.sniff({ path: 'download.csv', format: 'csv', head: redditExportText('saved_posts.csv') })).toBeGreaterThanOrEqual(0.5);
  });
});
