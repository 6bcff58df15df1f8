/**
 * What chatgpt.com pages show of the owner's conversations, read from the
 * Document and URL alone:
 * - the sidebar's history: links `/c/<uuid>` with their titles (a partial
 *   window of `conversations`: the most recently changed ones, as far as the
 *   owner scrolled);
 * - an open conversation `/c/<uuid>`: each message's node id
 *   (`data-message-id`; the `data-turn-id` of its turn is not a message id),
 *   its author (`data-message-author-role`), model (`data-message-model-slug`)
 *   and rendered text.
 * The account is not in the DOM: `account.ts` adds it (see `withAccount`).
 * No times are shown, so no event-time window is claimed.
 */
import type { BatchWarning, Observation } from '../../core/model';
import type { PageCapture, PageExtractor } from '../types';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** `/c/<uuid>`, or `/g/<gizmo or project>/c/<uuid>`. */
const CONVERSATION_PATH_RE = new RegExp(`^(?:/g/[\\w-]{1,100})?/c/(${UUID})/?$`);
const MESSAGE_ID_RE = /^[\w.:-]{1,128}$/;
const BLOCKS = new Set(['P', 'DIV', 'LI', 'PRE', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'BLOCKQUOTE', 'TR', 'UL', 'OL', 'TABLE', 'HR', 'BR']);
const MAX_CONTENT = 1_000_000;
/** A capture carries at most 2,000 observations (the capture message's limit): the sidebar at most half. */
const MAX_SIDEBAR = 1000;
const MAX_OBSERVATIONS = 2000;

export function conversationIdOfPath(pathname: string): string | undefined {
  return CONVERSATION_PATH_RE.exec(pathname)?.[1];
}

/** Rendered text with block elements on their own lines (textContent alone runs paragraphs together). */
export function renderedText(root: Element): string {
  const out: string[] = [];
  const walk = (node: Node) => {
    if (node.nodeType === 3) {
      out.push(node.nodeValue ?? '');
      return;
    }
    if (node.nodeType !== 1) return;
    const element = node as Element;
    const tag = element.tagName;
    if (tag === 'BUTTON' || tag === 'svg' || tag === 'SVG' || tag === 'STYLE' || tag === 'SCRIPT') return;
    const block = BLOCKS.has(tag);
    if (block) out.push('\n');
    for (let child = element.firstChild; child; child = child.nextSibling) walk(child);
    if (block) out.push('\n');
  };
  walk(root);
  return out
    .join('')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .slice(0, MAX_CONTENT);
}

function sidebar(doc: Document, observations: Observation[], warnings: BatchWarning[]): void {
  const seen = new Set<string>();
  const links = doc.querySelectorAll<HTMLAnchorElement>('nav a[href], #history a[href]');
  let historyLinks = 0;
  for (const link of links) {
    const href = link.getAttribute('href') ?? '';
    let path: string;
    try {
      path = new URL(href, 'https://chatgpt.com/').pathname;
    } catch {
      continue;
    }
    if (!path.includes('/c/')) continue;
    historyLinks++;
    const id = conversationIdOfPath(path);
    if (!id || seen.has(id)) continue;
    if (seen.size >= MAX_SIDEBAR) break;
    seen.add(id);
    const label = link.querySelector('[dir="auto"]') ?? link.querySelector('.truncate') ?? link;
    const title = (label.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 500);
    observations.push({ stream: 'conversations', data: title ? { id, title } : { id } });
  }
  if (historyLinks > 0 && seen.size === 0) {
    warnings.push({ code: 'layout_unrecognized', message: 'The sidebar lists conversations, but Gleaner could not read which ones; ChatGPT may have changed its page.' });
  }
}

function conversation(doc: Document, conversationId: string, observations: Observation[], warnings: BatchWarning[]): void {
  const nodes = doc.querySelectorAll('main [data-message-id][data-message-author-role]');
  const seen = new Set<string>();
  for (const node of nodes) {
    const id = node.getAttribute('data-message-id') ?? '';
    if (!MESSAGE_ID_RE.test(id) || seen.has(id)) continue;
    if (observations.length >= MAX_OBSERVATIONS) {
      warnings.push({ code: 'page_truncated', message: 'This conversation shows more messages than one capture holds; the first ones were kept. Export your data for the rest.' });
      break;
    }
    seen.add(id);
    const role = (node.getAttribute('data-message-author-role') ?? '').slice(0, 40);
    const body = node.querySelector('.markdown') ?? node.querySelector('.whitespace-pre-wrap') ?? node;
    const content = renderedText(body);
    const data: Record<string, unknown> = { id, conversation_id: conversationId };
    if (role) data.role = role;
    if (content) data.content = content;
    const model = node.getAttribute('data-message-model-slug');
    if (model) data.model_slug = model.slice(0, 80);
    observations.push({ stream: 'messages', data });
  }
  // Turns shown but no message read: the markup changed, not an empty conversation.
  if (seen.size === 0 && doc.querySelector('main article, main [data-turn-id], main [data-testid^="conversation-turn"]')) {
    warnings.push({ code: 'layout_unrecognized', message: 'This conversation shows messages, but Gleaner could not read them; ChatGPT may have changed its page.' });
  }
}

export const chatgptPageExtractor: PageExtractor = {
  matches(url) {
    if (url.protocol !== 'https:' || url.hostname !== 'chatgpt.com') return false;
    return url.pathname === '/' || conversationIdOfPath(url.pathname) !== undefined;
  },
  extract(doc, url): PageCapture {
    const observations: Observation[] = [];
    const warnings: BatchWarning[] = [];
    sidebar(doc, observations, warnings);
    const id = conversationIdOfPath(url.pathname);
    if (id) conversation(doc, id, observations, warnings);
    return { observations, coverage: [], warnings };
  },
};
