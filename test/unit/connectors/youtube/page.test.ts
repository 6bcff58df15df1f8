// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { addDays, dayStart, isoDay } from '../../../../src/connectors/youtube/local-day';
import { createYoutubePageExtractor, headingDay, youtubePageExtractor } from '../../../../src/connectors/youtube/page';
import { YoutubeWatch } from '../../../../src/connectors/youtube/streams';
import { PRIYA_ACCOUNT_LABEL, PRIYA_DATASYNC_ID, PRIYA_PAGE, THEO_DATASYNC_ID, THEO_PAGE, VIDEOS, headingFor, historyPage, priyaExpectations, todayIn } from '../../../fixtures/youtube';
import { AUCKLAND, LA, NOW, extractPage } from './helpers';

const clockLA = { now: NOW, timeZone: LA };

describe('youtubePageExtractor.matches', () => {
  it('reads only the owner\'s history page', () => {
    expect(youtubePageExtractor.matches(new URL('https://www.youtube.com/feed/history'))).toBe(true);
    expect(youtubePageExtractor.matches(new URL('https://www.youtube.com/feed/history/'))).toBe(true);
    for (const other of ['https://www.youtube.com/', 'https://www.youtube.com/watch?v=k3Vd9Qz1pLm', 'https://www.youtube.com/@highcrumb/videos', 'https://www.youtube.com/feed/history/search_history', 'https://www.youtube.com/feed/subscriptions', 'http://www.youtube.com/feed/history', 'https://m.youtube.com/feed/history']) {
      expect(youtubePageExtractor.matches(new URL(other)), other).toBe(false);
    }
  });
});

describe('day headings', () => {
  const thursday = { y: 2026, m: 3, d: 12 };
  it.each([
    ['Today', '2026-03-12'],
    ['Yesterday', '2026-03-11'],
    ['Tuesday', '2026-03-10'],
    ['Friday', '2026-03-06'],
    ['Thursday', '2026-03-05'],
    ['Mar 1', '2026-03-01'],
    ['March 1', '2026-03-01'],
    ['Dec 30', '2025-12-30'],
    ['Dec 28, 2024', '2024-12-28'],
    ['3 Feb 2025', '2025-02-03'],
  ])('%s → %s', (heading, day) => {
    expect(isoDay(headingDay(heading, thursday)!)).toBe(day);
  });
  it('reads no heading it does not know (another language, nonsense dates)', () => {
    for (const heading of ['Heute', 'Feb 30', 'Shorts', '']) expect(headingDay(heading, thursday), heading).toBeUndefined();
  });
});

describe.each(['video-renderer', 'lockup'] as const)('Priya\'s history page, %s layout', (layout) => {
  const today = todayIn(NOW, LA);
  const capture = extractPage({ today, layout, days: PRIYA_PAGE, datasyncId: PRIYA_DATASYNC_ID, shortsShelf: true }, clockLA);
  const expected = priyaExpectations(today);

  it('reads every video under its day, in page order, and nothing from the Shorts shelf', () => {
    expect(capture.observations.map((o) => o.data.id)).toEqual(expected.pageIds);
    expect(capture.warnings).toEqual([]);
  });

  it('reads title, channel and addresses', () => {
    const a = capture.observations[0]!.data;
    expect(a).toMatchObject({
      video_id: VIDEOS.A.id,
      video_title: VIDEOS.A.title,
      channel_name: VIDEOS.A.channel,
      channel_url: `https://www.youtube.com/${VIDEOS.A.handle}`,
      video_url: `https://www.youtube.com/watch?v=${VIDEOS.A.id}`,
      watched_at_precision: 'day',
      time_zone: LA,
    });
    const d = capture.observations.find((o) => o.data.video_id === VIDEOS.D.id)!.data;
    expect(d.channel_name).toBe('Spoke & Chain');
  });

  it('dates a row by the start and end of its local day', () => {
    const c = capture.observations.find((o) => o.data.video_id === VIDEOS.C.id)!.data;
    expect(c.watched_on).toBe('2026-03-11');
    // Los Angeles is on daylight time from 2026-03-08 (UTC−7).
    expect(c.watched_at).toBe('2026-03-11T00:00:00-07:00');
    expect(Date.parse(c.watched_at as string)).toBe(Date.parse('2026-03-11T07:00:00Z'));
    expect(c.day_ends_at).toBe('2026-03-12T00:00:00-07:00');
    const e = capture.observations.find((o) => o.data.video_id === VIDEOS.E.id)!.data;
    expect(e.watched_on).toBe('2026-03-02');
    expect(e.watched_at).toBe('2026-03-02T00:00:00-08:00'); // before the change: UTC−8
  });

  it('claims partial coverage over the days it saw, and the account from the page config', () => {
    expect(capture.coverage).toEqual([
      expect.objectContaining({ stream: 'youtube_watch_history', start: '2026-03-02T00:00:00-08:00', end: '2026-03-12T23:59:59.999-07:00', completeness: 'partial' }),
    ]);
    expect(capture.accountHint).toEqual({ key: `youtube|${PRIYA_DATASYNC_ID.replace(/\|\|$/, '')}`, label: PRIYA_ACCOUNT_LABEL, evidence: expect.any(String) });
  });

  it('emits records that validate against the stream schema', () => {
    for (const o of capture.observations) expect(YoutubeWatch.safeParse(o.data).success, String(o.data.id)).toBe(true);
  });
});

describe('time zones', () => {
  it('turns "Today" into the browser\'s day: Auckland is already on Friday', () => {
    const today = todayIn(NOW, AUCKLAND);
    expect(isoDay(today)).toBe('2026-03-13');
    const capture = extractPage({ today, layout: 'lockup', days: PRIYA_PAGE, datasyncId: PRIYA_DATASYNC_ID }, { now: NOW, timeZone: AUCKLAND });
    const a = capture.observations[0]!.data;
    expect(a.watched_on).toBe('2026-03-13');
    expect(Date.parse(a.watched_at as string)).toBe(dayStart(today, AUCKLAND));
    expect(a.watched_at).toBe('2026-03-13T00:00:00+13:00'); // NZDT
    expect(capture.observations.find((o) => o.data.video_id === VIDEOS.D.id)!.data.watched_on).toBe(isoDay(addDays(today, -3)));
  });

  it('reads a page made for Los Angeles in Auckland as Auckland\'s days (the heading is relative)', () => {
    const capture = extractPage({ today: todayIn(NOW, LA), layout: 'video-renderer', days: PRIYA_PAGE, datasyncId: PRIYA_DATASYNC_ID }, { now: NOW, timeZone: AUCKLAND });
    expect(capture.observations[0]!.data.watched_on).toBe('2026-03-13');
  });

  it('builds headings the way YouTube writes them', () => {
    const today = { y: 2026, m: 1, d: 4 };
    expect(headingFor(today, 3)).toBe('Thursday');
    expect(headingFor(today, 10)).toBe('Dec 25, 2025');
  });
});

describe('accounts and refusals', () => {
  const today = todayIn(NOW, LA);
  it('tells two accounts apart by DATASYNC_ID', () => {
    const theo = extractPage({ today, layout: 'lockup', days: THEO_PAGE, datasyncId: THEO_DATASYNC_ID }, clockLA);
    const priya = extractPage({ today, layout: 'lockup', days: PRIYA_PAGE, datasyncId: PRIYA_DATASYNC_ID }, clockLA);
    expect(theo.accountHint?.key).not.toBe(priya.accountHint?.key);
    expect(theo.observations.map((o) => o.data.video_id)).toEqual([VIDEOS.T1.id, VIDEOS.T2.id]);
  });

  it('gives no account hint when signed out (so nothing is stored)', () => {
    const capture = extractPage({ today, layout: 'video-renderer', days: PRIYA_PAGE }, clockLA);
    expect(capture.accountHint).toBeUndefined();
  });

  it('says layout_unrecognized when a history page yields nothing', () => {
    const capture = extractPage({ today, layout: 'lockup', days: PRIYA_PAGE, datasyncId: PRIYA_DATASYNC_ID, unknownItems: true }, clockLA);
    expect(capture.observations).toEqual([]);
    expect(capture.warnings.map((w) => w.code)).toEqual(['layout_unrecognized']);
    const empty = new DOMParser().parseFromString('<html><body><ytd-app></ytd-app></body></html>', 'text/html');
    expect(youtubePageExtractor.extract(empty, new URL('https://www.youtube.com/feed/history')).warnings.map((w) => w.code)).toEqual(['layout_unrecognized']);
  });

  it('keeps nothing under a heading it cannot read, and says so', () => {
    const html = extractPage({ today, layout: 'lockup', days: [{ back: 0, videos: [VIDEOS.A] }], datasyncId: PRIYA_DATASYNC_ID }, clockLA);
    expect(html.observations).toHaveLength(1);
    const doc = new DOMParser().parseFromString(
      '<html><body><ytd-item-section-renderer><ytd-item-section-header-renderer><div id="title">Heute</div></ytd-item-section-header-renderer><yt-lockup-view-model><a class="yt-lockup-metadata-view-model__title" href="/watch?v=k3Vd9Qz1pLm">x</a></yt-lockup-view-model></ytd-item-section-renderer></body></html>',
      'text/html',
    );
    const capture = youtubePageExtractor.extract(doc, new URL('https://www.youtube.com/feed/history'));
    expect(capture.warnings.map((w) => w.code)).toEqual(['unknown_day', 'layout_unrecognized']);
  });
});
