// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { netflixPageExtractor } from '../../../../src/connectors/netflix/page';
import { NetflixViewing } from '../../../../src/connectors/netflix/streams';
import { expectations, NETFLIX_PAGE_FIXTURES } from '../../../fixtures/netflix';
import { loadPage, showMore, titleDay } from './helpers';

describe('Netflix Viewing activity page', () => {
  it('matches only the Viewing activity page', () => {
    const yes = ['https://www.netflix.com/viewingactivity', 'https://www.netflix.com/viewingactivity?u=1'];
    const no = ['https://www.netflix.com/browse', 'https://www.netflix.com/title/81000001', 'http://www.netflix.com/viewingactivity', 'https://netflix.com.evil.test/viewingactivity', 'https://www.netflix.com/viewingactivity/report'];
    for (const url of yes) expect(netflixPageExtractor.matches(new URL(url)), url).toBe(true);
    for (const url of no) expect(netflixPageExtractor.matches(new URL(url)), url).toBe(false);
  });

  it('reads every row of each profile’s page, with the profile from the page context', () => {
    for (const name of ['viewingactivity-dana.html', 'viewingactivity-sam.html'] as const) {
      const { doc, url } = loadPage(name);
      const capture = netflixPageExtractor.extract(doc, url);
      const expected = expectations.pages[name];
      expect(titleDay(capture.observations)).toEqual(expected.rows);
      expect(capture.accountHint?.label).toBe(expected.profile);
      expect(capture.warnings).toEqual([]);
      for (const observation of capture.observations) {
        expect(NetflixViewing.safeParse(observation.data).success).toBe(true);
        expect(observation.data).toMatchObject({ profile_name: expected.profile, watched_at_precision: 'day', source_schema: 'viewing_activity_page' });
        expect(observation.data.watched_at).toBeUndefined();
      }
    }
    const dana = netflixPageExtractor.extract(...Object.values(loadPage('viewingactivity-dana.html')) as [Document, URL]);
    expect(dana.accountHint?.key).toBe(expectations.profileKeys.dana);
    expect(dana.observations[1]!.data.title_url).toBe('https://www.netflix.com/title/81000001');
    const sam = netflixPageExtractor.extract(...Object.values(loadPage('viewingactivity-sam.html')) as [Document, URL]);
    expect(sam.accountHint?.key).toBe(expectations.profileKeys.sam); // `\x20` in the page context decoded
  });

  it('claims only the window the page shows, as partial', () => {
    const { doc, url } = loadPage('viewingactivity-dana.html');
    expect(netflixPageExtractor.extract(doc, url).coverage).toEqual([expect.objectContaining({ stream: 'viewing_activity', start: '2024-01-05', end: '2024-03-17', completeness: 'partial' })]);
    showMore(doc);
    const more = netflixPageExtractor.extract(doc, url);
    expect(titleDay(more.observations)).toEqual([...expectations.pages['viewingactivity-dana.html'].rows, ...expectations.pages['viewingactivity-dana.html'].more]);
    expect(more.coverage[0]).toMatchObject({ start: '2023-09-28', end: '2024-03-17', completeness: 'partial' });
  });

  it('keys the same row the same on every capture, and apart from another profile’s', () => {
    const first = netflixPageExtractor.extract(...(Object.values(loadPage('viewingactivity-dana.html')) as [Document, URL]));
    const again = loadPage('viewingactivity-dana.html');
    showMore(again.doc);
    const second = netflixPageExtractor.extract(again.doc, again.url);
    expect(second.observations.slice(0, 4).map((o) => o.data.id)).toEqual(first.observations.map((o) => o.data.id));
    expect(new Set(second.observations.map((o) => o.data.id)).size).toBe(6);
  });

  it('says so when a page that should list viewings lists none', () => {
    const { doc, url } = loadPage('viewingactivity-changed-layout.html');
    const capture = netflixPageExtractor.extract(doc, url);
    expect(capture.observations).toEqual([]);
    expect(capture.warnings.map((w) => w.code)).toEqual(['layout_unrecognized']);
    expect(capture.accountHint?.key).toBe(expectations.profileKeys.dana);
  });

  it('gives no account signal without the page context (so nothing is stored)', () => {
    const { doc, url } = loadPage('viewingactivity-anonymous.html');
    const capture = netflixPageExtractor.extract(doc, url);
    expect(capture.accountHint).toBeUndefined();
  });

  it('reads day-first pages by their rows, and by their language when no row decides', () => {
    const row = (date: string, title: string) => `<li class="retableRow" data-uia="activity-row"><div class="col date">${date}</div><div class="col title"><a href="/title/1">${title}</a></div></li>`;
    const page = (lang: string, rows: string) => new DOMParser().parseFromString(`<html lang="${lang}"><body><ul class="retable">${rows}</ul></body></html>`, 'text/html');
    const url = new URL('https://www.netflix.com/viewingactivity');
    expect(titleDay(netflixPageExtractor.extract(page('en-GB', row('16/03/2024', 'A') + row('04/03/2024', 'B')), url).observations)).toEqual([['A', '2024-03-16'], ['B', '2024-03-04']]);
    expect(titleDay(netflixPageExtractor.extract(page('de-DE', row('04.03.24', 'B')), url).observations)).toEqual([['B', '2024-03-04']]);
    expect(titleDay(netflixPageExtractor.extract(page('en-US', row('4/3/24', 'B')), url).observations)).toEqual([['B', '2024-04-03']]);
  });

  it('extracts a page of 100 rows in under 5 ms', () => {
    const rows = Array.from({ length: 100 }, (_, i) => `<li class="retableRow" data-uia="activity-row"><div class="col date nowrap">${(i % 12) + 1}/${(i % 28) + 1}/24</div><div class="col title"><a href="/title/${81000000 + i}">Show ${i}: Season 1: "Episode ${i}"</a></div></li>`).join('');
    const html = readPageWith(rows);
    const doc = new DOMParser().parseFromString(html, 'text/html');
    const url = new URL('https://www.netflix.com/viewingactivity');
    for (let i = 0; i < 5; i++) netflixPageExtractor.extract(doc, url);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      const capture = netflixPageExtractor.extract(doc, url);
      times.push(performance.now() - start);
      expect(capture.observations).toHaveLength(100);
    }
    // The best run is the extraction's own cost (a busy machine only adds to the others).
    expect(Math.min(...times)).toBeLessThan(5);
  });

  it('has an expectation for every page fixture', () => {
    expect(Object.keys(expectations.pages).sort()).toEqual([...NETFLIX_PAGE_FIXTURES].sort());
  });
});

function readPageWith(rows: string): string {
  return `<html lang="en-US"><head><script>netflix.reactContext = {"models":{"userInfo":{"data":{"name":"Dana","guid":"DANAPROFILEGUID0000000001"}}}};</script></head><body><ul class="retable">${rows}</ul></body></html>`;
}
