import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { youtubeWatchHistoryParser as parser } from '../../../../src/connectors/youtube/artifact';
import { YoutubeWatch } from '../../../../src/connectors/youtube/streams';
import { learnAffix, videoTitle } from '../../../../src/connectors/youtube/takeout-entry';
import { TAKEOUT_ENTRY, VIDEOS, priyaExpectations, priyaTakeoutEntries, takeoutJson, todayIn } from '../../../fixtures/youtube';
import { LA, NOW, parseStreamed, streamFile } from './helpers';

const today = todayIn(NOW, LA);
const json = takeoutJson(priyaTakeoutEntries(today, LA));
const expected = priyaExpectations(today);

describe('claims and sniff', () => {
  it('claims the watch history in its Takeout folder or bare, JSON or HTML (HTML only to refuse it)', () => {
    for (const path of [TAKEOUT_ENTRY, 'watch-history.json', 'watch-history (1).json', 'Takeout/YouTube and YouTube Music/history/watch-history.html']) expect(parser.claims(path), path).toBe(true);
    for (const path of ['Takeout/YouTube and YouTube Music/history/search-history.json', 'Retail.OrderHistory.1.csv', 'watch-history.csv']) expect(parser.claims(path), path).toBe(false);
  });

  it('recognises the file by content, with the raw escapes Takeout writes', () => {
    expect(json).toContain('watch?v\\u003d');
    expect(parser.sniff({ path: 'download.json', format: 'json', head: json.slice(0, 8192) })).toBeGreaterThanOrEqual(0.9);
    expect(parser.sniff({ path: 'watch-history.json', format: 'html', head: '<html>' })).toBe(0);
    expect(parser.sniff({ path: 'search-history.json', format: 'json', head: '[{"header":"YouTube","title":"Searched for knots","titleUrl":"https://www.youtube.com/results?search_query\\u003dknots","time":"2026-01-01T00:00:00.000Z"}]' })).toBeLessThan(0.5);
    expect(parser.sniff({ path: 'conversations.json', format: 'json', head: '[{"mapping":{}}]' })).toBe(0);
  });
});

describe("Priya's watch-history.json", () => {
  const result = parser.parse([{ path: TAKEOUT_ENTRY, text: () => json }]);

  it('keeps every viewing, newest first, and skips ads, removed videos and entries without a time, counted by reason', () => {
    expect(result.observations.map((o) => o.data.video_id)).toEqual(expected.exportVideos);
    expect(result.rowsRead).toBe(expected.exportRows);
    expect(result.skipped).toBe(3);
    expect(result.failed).toBe(0);
    expect(result.warnings.map((w) => w.code).sort()).toEqual(['skipped_ad', 'skipped_no_time', 'skipped_removed_video']);
    expect(result.warnings.find((w) => w.code === 'skipped_ad')!.message).toMatch(/^1 ad view.*From Google Ads/);
  });

  it('strips "Watched ", keeps the channel, normalises the instant and keys by video and instant', () => {
    const a = result.observations[0]!.data;
    expect(a).toMatchObject({ video_title: VIDEOS.A.title, channel_name: VIDEOS.A.channel, channel_url: `https://www.youtube.com/${VIDEOS.A.handle}`, watched_at_precision: 'instant', product: 'YouTube' });
    expect(a.id).toBe(`takeout:${VIDEOS.A.id}:${a.watched_at}`);
    expect(a.video_url).toBe(`https://www.youtube.com/watch?v=${VIDEOS.A.id}`);
  });

  it('reads a time without milliseconds as the same instant', () => {
    const e = result.observations.find((o) => o.data.video_id === VIDEOS.E.id)!.data;
    expect(e.watched_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/);
    expect(json).toMatch(/"time": "\d{4}-\d{2}-\d{2}T18:05:00Z"|"time": "\d{4}-\d{2}-\d{2}T\d{2}:05:00Z"/);
  });

  it('leaves the title unknown when Takeout gave only the address, and decodes escaped characters', () => {
    expect(result.observations.find((o) => o.data.video_id === VIDEOS.F.id)!.data.video_title).toBeNull();
    expect(result.observations.find((o) => o.data.video_id === VIDEOS.D.id)).toBeUndefined();
    const g = result.observations.find((o) => o.data.video_id === VIDEOS.G.id)!.data;
    expect(g).toMatchObject({ product: 'YouTube Music', video_title: 'Morning Tide (Live)', video_url: `https://music.youtube.com/watch?v=${VIDEOS.G.id}` });
  });

  it('claims partial coverage from the oldest to the newest viewing, with no account', () => {
    const times = result.observations.map((o) => o.data.watched_at as string).sort();
    expect(result.coverage).toEqual([expect.objectContaining({ stream: 'youtube_watch_history', start: times[0], end: times.at(-1), completeness: 'partial' })]);
    expect(result.accountHint).toBeUndefined();
  });

  it('emits records that validate against the stream schema', () => {
    for (const o of result.observations) expect(YoutubeWatch.safeParse(o.data).success, String(o.data.id)).toBe(true);
  });
});

describe('streamed', () => {
  it('gives the same records and counts as the whole-text parse, in chunks, from small pieces', async () => {
    const whole = parser.parse([{ path: TAKEOUT_ENTRY, text: () => json }]);
    const streamed = await parseStreamed([streamFile(TAKEOUT_ENTRY, json, 97)], 2);
    expect(streamed.observations).toEqual(whole.observations);
    expect(streamed.counts).toMatchObject({ rowsRead: whole.rowsRead, skipped: whole.skipped, failed: whole.failed });
    expect(streamed.warnings.map((w) => w.code).sort()).toEqual(whole.warnings.map((w) => w.code).sort());
    expect(streamed.summary.coverage).toEqual(whole.coverage);
  });

  it('emits bounded chunks once the wording is learned', async () => {
    const entries = Array.from({ length: 150 }, (_, i) => ({ header: 'YouTube', title: `Watched Video ${i}`, titleUrl: `https://www.youtube.com/watch?v=k3Vd9Qz1${String(i).padStart(3, '0')}`, time: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString() }));
    const streamed = await parseStreamed([streamFile('watch-history.json', JSON.stringify(entries), 512)], 10);
    expect(streamed.observations).toHaveLength(150);
    expect(streamed.counts.chunks).toBeGreaterThan(5);
    expect(streamed.observations[149]!.data.video_title).toBe('Video 149');
  });

  it('counts an element that is not valid JSON as failed and reads the rest', async () => {
    const broken = json.replace('"header": "YouTube Music",\n    "title": "Visited', '"header": YouTube Music,\n    "title": "Visited');
    const streamed = await parseStreamed([streamFile('watch-history.json', broken)]);
    expect(streamed.counts.failed).toBe(1);
    expect(streamed.observations).toHaveLength(expected.exportVideos.length);
  });

  it('never throws on arbitrary entries and only emits valid records', async () => {
    const entry = fc.record(
      {
        header: fc.constantFrom('YouTube', 'YouTube Music', ''),
        title: fc.oneof(fc.string(), fc.constant('Watched x')),
        titleUrl: fc.oneof(fc.string(), fc.constantFrom('https://www.youtube.com/watch?v=k3Vd9Qz1pLm', 'https://youtu.be/k3Vd9Qz1pLm', 'https://www.youtube.com/post/x')),
        time: fc.oneof(fc.string(), fc.date({ min: new Date('2005-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString())),
        subtitles: fc.array(fc.record({ name: fc.string(), url: fc.string() }), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(entry, fc.anything()), { maxLength: 12 }), async (entries) => {
        const streamed = await parseStreamed([streamFile('watch-history.json', JSON.stringify(entries))], 3);
        for (const o of streamed.observations) expect(YoutubeWatch.safeParse(o.data).success).toBe(true);
        expect(streamed.counts.rowsRead).toBe(entries.length);
      }),
      { numRuns: 60 },
    );
  });
});

describe('the "Watched" wording in other languages', () => {
  it('strips known wordings, prefix or suffix', () => {
    expect(videoTitle('Vous avez regardé Le pain au levain', undefined)).toBe('Le pain au levain');
    expect(videoTitle('Sauerteig in den Bergen angesehen', undefined)).toBe('Sauerteig in den Bergen');
    expect(videoTitle('Watched https://www.youtube.com/watch?v=k3Vd9Qz1pLm', undefined)).toBeNull();
  });

  it('learns a wording it does not know from the file itself', () => {
    const titles = ['Du så Surdeg i fjellet', 'Du så Knuter for seilere', 'Du så Nattog i Europa', 'Du så Sykkelkjede'];
    const affix = learnAffix(titles);
    expect(affix).toEqual({ prefix: 'Du så ', suffix: '' });
    expect(videoTitle('Du så Isbreen', affix)).toBe('Isbreen');
    const entries = titles.map((title, i) => ({ header: 'YouTube', title, titleUrl: `https://www.youtube.com/watch?v=k3Vd9Qz1pL${i}`, time: `2025-05-0${i + 1}T10:00:00.000Z` }));
    const result = parser.parse([{ path: 'watch-history.json', text: () => JSON.stringify(entries) }]);
    expect(result.observations.map((o) => o.data.video_title)).toEqual(['Surdeg i fjellet', 'Knuter for seilere', 'Nattog i Europa', 'Sykkelkjede']);
  });
});
