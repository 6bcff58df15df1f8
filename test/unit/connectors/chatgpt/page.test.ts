// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { chatgptPageExtractor } from '../../../../src/connectors/chatgpt/page';
import { accountFromSession, lookupSessionAccount, withAccount } from '../../../../src/connectors/chatgpt/account';
import { chatgptConnector } from '../../../../src/connectors/chatgpt';
import { BatchWarning } from '../../../../src/core/model';
import { CHATGPT_PAGES, chatgptPage, expectations, ids, sessionReply, type ChatgptPageFixture } from '../../../fixtures/chatgpt';

const load = (name: ChatgptPageFixture) => {
  const { url, html } = chatgptPage(name);
  return { doc: new DOMParser().parseFromString(html, 'text/html'), url: new URL(url) };
};
const extract = (name: ChatgptPageFixture) => {
  const { doc, url } = load(name);
  return chatgptPageExtractor.extract(doc, url);
};
const idsOf = (capture: ReturnType<typeof extract>, stream: string) => capture.observations.filter((o) => o.stream === stream).map((o) => o.data.id as string).sort();

describe('chatgptPageExtractor.matches', () => {
  it.each(['https://chatgpt.com/', 'https://chatgpt.com/?model=gpt-5', `https://chatgpt.com/c/${ids.trip}`, `https://chatgpt.com/g/g-p-67a1b2c3d4e5-travel/c/${ids.trip}`])('reads %s', (u) => {
    expect(chatgptPageExtractor.matches(new URL(u))).toBe(true);
  });
  it.each([
    `https://chatgpt.com/share/${ids.trip}`,
    'https://chatgpt.com/gpts',
    'https://chatgpt.com/c/not-a-uuid',
    `http://chatgpt.com/c/${ids.trip}`,
    `https://chat.openai.com.evil.test/c/${ids.trip}`,
  ])('ignores %s', (u) => {
    expect(chatgptPageExtractor.matches(new URL(u))).toBe(false);
  });
  it('never reads a shared conversation page (someone else’s)', () => {
    expect(chatgptPageExtractor.matches(new URL(CHATGPT_PAGES['shared.html'].url))).toBe(false);
  });
});

describe('chatgptPageExtractor.extract', () => {
  it.each(Object.keys(expectations.pages))('%s: the sidebar’s conversations and the open conversation’s messages', (name) => {
    const capture = extract(name as ChatgptPageFixture);
    const expected = expectations.pages[name]!;
    expect(idsOf(capture, 'conversations')).toEqual(expected.conversationIds);
    expect(idsOf(capture, 'messages')).toEqual(expected.messageIds);
    // No times on the page: no window is claimed, and no record carries a time.
    expect(capture.coverage).toEqual([]);
    for (const o of capture.observations) {
      expect(o.data.update_time ?? o.data.create_time).toBeUndefined();
      const stream = chatgptConnector.streams.find((s) => s.name === o.stream)!;
      expect(stream.schema.safeParse(o.data).success, JSON.stringify(o.data)).toBe(true);
    }
    expect(capture.warnings).toEqual([]);
    expect(capture.accountHint).toBeUndefined();
  });

  it('titles come from the sidebar, as the owner renamed them', () => {
    const capture = extract('home-dana.html');
    expect(capture.observations.find((o) => o.data.id === expectations.renamed.id)!.data).toEqual({ id: expectations.renamed.id, title: expectations.renamed.pageTitle });
  });

  it('messages: the data-message-id, never the turn id; role, model and text with paragraphs apart', () => {
    const capture = extract('trip-dana.html');
    const messages = capture.observations.filter((o) => o.stream === 'messages').map((o) => o.data);
    const { doc } = load('trip-dana.html');
    const turnIds = [...doc.querySelectorAll('[data-turn-id]')].map((el) => el.getAttribute('data-turn-id'));
    expect(turnIds.length).toBe(6);
    for (const message of messages) expect(turnIds).not.toContain(message.id);
    expect(messages.find((m) => m.id === ids.msg.tripQ1)).toEqual({ id: ids.msg.tripQ1, conversation_id: ids.trip, role: 'user', content: 'Plan three days in Lisbon in March.' });
    expect(messages.find((m) => m.id === ids.msg.tripA3)).toEqual({
      id: ids.msg.tripA3,
      conversation_id: ids.trip,
      role: 'assistant',
      model_slug: 'gpt-4o',
      content: 'Yes, if you ride the trams and visit Belém.\n\nIt pays for itself with two museums.',
    });
  });

  it('turns shown but no message markers: layout_unrecognized, never a silent zero', () => {
    const capture = extract('changed-layout.html');
    expect(capture.observations).toEqual([]);
    expect(capture.warnings.map((w) => w.code)).toEqual(['layout_unrecognized']);
    for (const w of capture.warnings) expect(BatchWarning.safeParse(w).success).toBe(true);
  });

  it('never sends more than one capture holds: 2,000 observations, the cut said', () => {
    const turns = Array.from({ length: 2100 }, (_, i) => `<div data-message-author-role="user" data-message-id="${String(i).padStart(8, '0')}-1111-4222-8333-444455556666"><div class="whitespace-pre-wrap">m${i}</div></div>`).join('');
    const doc = new DOMParser().parseFromString(`<html><body><main>${turns}</main></body></html>`, 'text/html');
    const capture = chatgptPageExtractor.extract(doc, new URL(`https://chatgpt.com/c/${ids.trip}`));
    expect(capture.observations).toHaveLength(2000);
    expect(capture.warnings.map((w) => w.code)).toEqual(['page_truncated']);
  });

  it('extracts a 100-message conversation in under 5 ms', () => {
    const turns = Array.from({ length: 100 }, (_, i) => {
      const id = `${String(i).padStart(8, '0')}-1111-4222-8333-444455556666`;
      return `<article data-turn-id="t${i}"><div data-message-author-role="${i % 2 ? 'assistant' : 'user'}" data-message-id="${id}"><div class="markdown"><p>Paragraph one of message ${i}.</p><p>And a second paragraph with <code>code</code>.</p></div></div></article>`;
    }).join('');
    const doc = new DOMParser().parseFromString(`<html><body><nav></nav><main>${turns}</main></body></html>`, 'text/html');
    const url = new URL(`https://chatgpt.com/c/${ids.trip}`);
    for (let i = 0; i < 5; i++) chatgptPageExtractor.extract(doc, url); // warm-up
    const runs: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      const capture = chatgptPageExtractor.extract(doc, url);
      runs.push(performance.now() - t);
      expect(capture.observations).toHaveLength(100);
    }
    // happy-dom is slower than a browser's DOM; the median still has to fit.
    expect([...runs].sort((a, b) => a - b)[7]).toBeLessThan(5);
  });
});

describe('the account: the page’s own session endpoint', () => {
  it('reads the user id and email, nothing else (never the token)', () => {
    const hint = accountFromSession(JSON.parse(sessionReply('dana')));
    expect(hint).toEqual({ key: expectations.accounts.dana.key, label: expectations.accounts.dana.label, evidence: 'signed-in session on chatgpt.com' });
    expect(JSON.stringify(hint)).not.toMatch(/eyJ|FIXTURE-NOT-A-TOKEN/);
    expect(accountFromSession(JSON.parse(sessionReply('signed_out')))).toBeUndefined();
    expect(accountFromSession({ user: { id: 'not a user id' } })).toBeUndefined();
    expect(accountFromSession(null)).toBeUndefined();
  });

  it('asks /api/auth/session on the same origin; signed out or unreachable gives no account', async () => {
    const asked: string[] = [];
    const reply = (body: string, ok = true) => (async (input: RequestInfo | URL, init?: RequestInit) => {
      asked.push(`${String(input)} ${init?.credentials}`);
      return new Response(body, { status: ok ? 200 : 403 });
    }) as typeof fetch;
    expect((await lookupSessionAccount(reply(sessionReply('sam'))))?.key).toBe(expectations.accounts.sam.key);
    expect(asked).toEqual(['/api/auth/session same-origin']);
    expect(await lookupSessionAccount(reply(sessionReply('signed_out')))).toBeUndefined();
    expect(await lookupSessionAccount(reply('', false))).toBeUndefined();
    expect(await lookupSessionAccount(reply('<html>not json'))).toBeUndefined();
    expect(await lookupSessionAccount((async () => { throw new TypeError('offline'); }) as typeof fetch)).toBeUndefined();
  });

  it('withAccount adds the hint to every capture and keeps the pure extractor’s matches', () => {
    const hint = accountFromSession(JSON.parse(sessionReply('dana')));
    const extractor = withAccount(chatgptPageExtractor, hint);
    const { doc, url } = load('trip-dana.html');
    const capture = extractor.extract(doc, url);
    expect(capture.accountHint).toEqual(hint);
    expect(capture.observations).toEqual(chatgptPageExtractor.extract(doc, url).observations);
    expect(extractor.matches(new URL(CHATGPT_PAGES['shared.html'].url))).toBe(false);
    expect(withAccount(chatgptPageExtractor, undefined).extract(doc, url).accountHint).toBeUndefined();
  });
});
