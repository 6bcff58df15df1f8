// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { redditPageExtractor } from '../../../../src/connectors/reddit/page';
import { redditStreams } from '../../../../src/connectors/reddit/streams';
import { expectations } from '../../../fixtures/reddit';
import { byId, extract, loadPage } from './helpers';

const NOTHING = { observations: [], coverage: [], warnings: [] };
const schemaOf = (stream: string) => redditStreams.find((s) => s.name === stream)!.schema;

describe('redditPageExtractor.matches', () => {
  it.each([
    'https://old.reddit.com/user/dana_writes/submitted/',
    'https://old.reddit.com/user/dana_writes/comments',
    'https://old.reddit.com/user/Dana_Writes/saved/?count=25&after=t3_1a9vb3r',
    'https://old.reddit.com/user/dana_writes/upvoted/',
    'https://old.reddit.com/user/dana_writes/downvoted/',
    'https://old.reddit.com/user/dana_writes/hidden/',
    'https://www.reddit.com/user/dana_writes/submitted/',
    'https://www.reddit.com/user/dana_writes/saved/',
  ])('reads %s', (u) => expect(redditPageExtractor.matches(new URL(u))).toBe(true));

  it.each([
    'https://old.reddit.com/user/dana_writes/',
    'https://old.reddit.com/user/dana_writes/gilded/',
    'https://old.reddit.com/r/Breadit/',
    'https://old.reddit.com/r/Breadit/comments/1bfx2k9/whats_a_good_first_sourdough_loaf/',
    'http://old.reddit.com/user/dana_writes/saved/',
    'https://new.reddit.com/user/dana_writes/saved/',
    'https://old.reddit.com.evil.example/user/dana_writes/saved/',
  ])('ignores %s', (u) => expect(redditPageExtractor.matches(new URL(u))).toBe(false));
});

describe('old.reddit.com listings of the signed-in user', () => {
  it('submitted: the owner’s posts with their dates, the ad skipped and counted, a partial window naming the listing', () => {
    const capture = extract('old-submitted-dana.html');
    expect(capture.observations.map((o) => [o.stream, o.data.id])).toEqual(expectations.pages['old-submitted-dana.html'].ids.map((id) => ['submitted', id]));
    expect(capture.accountHint).toMatchObject({ key: 'reddit:dana_writes', label: 'u/dana_writes' });
    expect(capture.warnings.map((w) => w.code)).toEqual(['ads_skipped']);
    expect(capture.coverage).toEqual([
      expect.objectContaining({ stream: 'submitted', start: '2024-03-15T13:45:22.000Z', end: '2024-04-12T17:20:05.000Z', completeness: 'partial', evidence: expect.stringMatching(/^One page of your posts on old\.reddit\.com: 2 items/) }),
    ]);
    expect(byId(capture, 't3_1bfx2k9')).toEqual({
      id: 't3_1bfx2k9',
      subreddit: 'Breadit',
      title: "What's a good first sourdough loaf?",
      permalink: 'https://reddit.com/r/Breadit/comments/1bfx2k9/whats_a_good_first_sourdough_loaf/',
      url: 'https://reddit.com/r/Breadit/comments/1bfx2k9/whats_a_good_first_sourdough_loaf/',
      is_self: true,
      over_18: false,
      score: 42,
      num_comments: 7,
      gilded: 0,
      created_utc: '2024-03-15T13:45:22.000Z',
    });
    expect(byId(capture, 't3_1c2m7ne')).toMatchObject({ title: 'Clementine’s first loaf 🍞 — crumb shot'.replace('’', "'"), url: 'https://i.redd.it/x8k2m4q9abcd1.jpeg', domain: 'i.redd.it', is_self: false });
    for (const o of capture.observations) expect(schemaOf(o.stream).safeParse(o.data).success).toBe(true);
  });

  it('comments: paragraphs kept, the post’s title and id, the creation time (not the edit time)', () => {
    const capture = extract('old-comments-dana.html');
    expect(capture.observations.map((o) => o.data.id)).toEqual(expectations.pages['old-comments-dana.html'].ids);
    expect(byId(capture, 't1_kx7q2m1')).toEqual({
      id: 't1_kx7q2m1',
      subreddit: 'Breadit',
      body: "Update: the loaf rose! Thanks all.\n\nNext time I'll try a longer cold retard.",
      link_id: 't3_1bfx2k9',
      link_title: "What's a good first sourdough loaf?",
      permalink: 'https://reddit.com/r/Breadit/comments/1bfx2k9/whats_a_good_first_sourdough_loaf/kx7q2m1/',
      score: 5,
      created_utc: '2024-03-16T09:10:00.000Z',
    });
    expect(byId(capture, 't1_l0b7c2d').created_utc).toBe('2024-04-10T12:00:00.000Z');
    for (const o of capture.observations) expect(schemaOf(o.stream).safeParse(o.data).success).toBe(true);
  });

  it('saved: posts and comments side by side, a comment titled by its post', () => {
    const capture = extract('old-saved-dana.html');
    expect(capture.observations.map((o) => [o.stream, o.data.id, o.data.kind, o.data.is_post])).toEqual([
      ['saved', 't3_1c0abcd', 't3', true],
      ['saved', 't1_kmn3p8q', 't1', false],
      ['saved', 't3_1a9vb3r', 't3', true],
    ]);
    expect(byId(capture, 't1_kmn3p8q')).toEqual({
      id: 't1_kmn3p8q',
      kind: 't1',
      is_post: false,
      subreddit: 'Breadit',
      title: 'Why did my loaf collapse in the oven?',
      body: 'Overproofed. Poke test: if the dent does not spring back at all, bake immediately.',
      permalink: 'https://reddit.com/r/Breadit/comments/19dkq1b/why_did_my_loaf_collapse/kmn3p8q/',
      created_utc: '2024-01-20T11:11:11.000Z',
    });
    for (const o of capture.observations) expect(schemaOf(o.stream).safeParse(o.data).success).toBe(true);
  });

  it('upvoted under the name spelled as the export spells it: the same account key as the lower-case config', () => {
    const capture = extract('old-upvoted-dana.html');
    expect(capture.observations.map((o) => o.data.id)).toEqual(expectations.pages['old-upvoted-dana.html'].ids);
    expect(capture.accountHint?.key).toBe(expectations.accounts.dana.key);
    expect(byId(capture, 't3_1bz8w0f')).toMatchObject({ kind: 't3', title: 'Packing list that finally worked (12 kg all in)', score: 980, num_comments: 77 });
  });

  it('another user’s listing browsed while signed in yields nothing at all (old and www layouts)', () => {
    expect(extract('old-submitted-fern.html')).toEqual(NOTHING);
    // The owner's own page, but at another user's address: still not the owner's.
    expect(extract('old-submitted-dana.html', 'https://old.reddit.com/user/Fern_Hollow/submitted/')).toEqual(NOTHING);
    expect(extract('www-submitted-dana.html', 'https://www.reddit.com/user/Fern_Hollow/submitted/')).toEqual(NOTHING);
  });

  it('a signed-out page: no account, no records, a warning that says why', () => {
    const capture = extract('old-submitted-signed-out.html');
    expect(capture.observations).toEqual([]);
    expect(capture.accountHint).toBeUndefined();
    expect(capture.warnings.map((w) => w.code)).toEqual(['signed_out']);
  });

  it('a changed layout says layout_unrecognized; a truly empty listing says nothing', () => {
    const changed = extract('old-changed-layout.html');
    expect(changed.observations).toEqual([]);
    expect(changed.warnings.map((w) => w.code)).toEqual(['layout_unrecognized']);
    expect(changed.accountHint?.key).toBe('reddit:dana_writes');
    expect(extract('old-hidden-empty.html')).toMatchObject({ observations: [], coverage: [], warnings: [] });
  });

  it('a page it does not match yields nothing', () => {
    const { doc } = loadPage('old-submitted-dana.html');
    expect(redditPageExtractor.extract(doc, new URL('https://old.reddit.com/user/dana_writes/'))).toEqual(NOTHING);
  });
});

describe('www.reddit.com (shreddit) listings', () => {
  it('submitted and comments: the same keys and fields as old.reddit shows', () => {
    const www = extract('www-submitted-dana.html');
    const old = extract('old-submitted-dana.html');
    expect(www.accountHint?.key).toBe('reddit:dana_writes');
    expect(www.observations.map((o) => o.data.id)).toEqual(expectations.pages['www-submitted-dana.html'].ids);
    for (const id of ['t3_1bfx2k9', 't3_1c2m7ne']) {
      const pick = ({ title, created_utc, permalink, subreddit, url, score, num_comments, is_self }: Record<string, unknown>) => ({ title, created_utc, permalink, subreddit, url, score, num_comments, is_self });
      expect(pick(byId(www, id))).toEqual(pick(byId(old, id)));
    }
    const comments = extract('www-comments-dana.html');
    const oldComments = extract('old-comments-dana.html');
    for (const id of ['t1_kx7q2m1', 't1_l0b7c2d']) {
      const pick = ({ body, created_utc, permalink, subreddit, link_id }: Record<string, unknown>) => ({ body, created_utc, link_id, subreddit, permalink: String(permalink).split('/comments/')[0] });
      expect(pick(byId(comments, id))).toEqual(pick(byId(oldComments, id)));
    }
    expect(comments.coverage[0]).toMatchObject({ stream: 'comments', completeness: 'partial', evidence: expect.stringContaining('www.reddit.com') });
  });
});

describe('a full page of 100 items', () => {
  it('reads every row once (the time it takes is measured in Chromium, test/e2e/reddit.e2e.ts)', () => {
    const html = loadPage('old-submitted-dana.html');
    const table = html.doc.querySelector('#siteTable')!;
    const row = table.querySelector('.thing:not(.promoted)')!;
    for (let i = 0; i < 98; i++) {
      const copy = row.cloneNode(true) as Element;
      copy.setAttribute('data-fullname', `t3_1bz${i.toString(36).padStart(4, '0')}`);
      table.appendChild(copy);
    }
    const capture = redditPageExtractor.extract(html.doc, html.url);
    expect(capture.observations).toHaveLength(100);
    expect(new Set(capture.observations.map((o) => o.data.id)).size).toBe(100);
  });
});
