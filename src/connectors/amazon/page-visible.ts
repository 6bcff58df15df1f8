/**
 * The visible text of an Amazon page: what the owner sees, never text inside
 * hidden elements (popovers, `aok-hidden`, `aria-hidden`, inline
 * `display: none`). During an extraction (`withVisibleIndex`) the page is
 * walked once and every scope's text and queries are answered from that walk.
 *
 * Bundled into the content script (see `page.ts`): `util` only.
 */
import { cleanText } from './util';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

/** Never read: these tags, hidden attributes and Amazon's hiding classes (and, below, inline `display: none`). */
const HIDDEN_TAGS = ['script', 'style', 'template', 'noscript', 'select', 'option', 'svg', 'iframe'];
const HIDDEN_CLASSES = ['aok-hidden', 'a-hidden', 'a-popover-preload', 'aok-offscreen-hidden'];
const HIDDEN_ELEMENT = `${HIDDEN_TAGS.join(', ')}, [hidden], [aria-hidden="true"], ${HIDDEN_CLASSES.map((c) => `.${c}`).join(', ')}`;
/** What `isHidden` looks for on an element and its ancestors (a part of `HIDDEN_ELEMENT`). */
const HIDDEN_SELECTOR =
  '[hidden], [aria-hidden="true"], .aok-hidden, .a-hidden, .a-popover-preload, script, style, template, noscript';
const STYLE_HIDDEN_RE = /(?:display\s*:\s*none|visibility\s*:\s*hidden)/i;

export interface Chunk {
  text: string;
  el: Element;
}


export function isHiddenElement(el: Element): boolean {
  if (el.matches(HIDDEN_ELEMENT)) return true;
  const style = el.getAttribute('style');
  return style !== null && STYLE_HIDDEN_RE.test(style);
}

/** The elements under `root` that `isHiddenElement` refuses, from the browser's own fast lookups rather than a check per element. */
function hiddenUnder(root: Element): Set<Element> {
  const hidden = new Set<Element>();
  const add = (list: ArrayLike<Element>) => {
    for (let i = 0; i < list.length; i++) hidden.add(list[i] as Element);
  };
  for (const tag of HIDDEN_TAGS) add(root.getElementsByTagName(tag));
  for (const name of HIDDEN_CLASSES) add(root.getElementsByClassName(name));
  add(root.querySelectorAll('[hidden]'));
  for (const el of Array.from(root.querySelectorAll('[aria-hidden]'))) if (el.getAttribute('aria-hidden') === 'true') hidden.add(el);
  for (const el of Array.from(root.querySelectorAll('[style]'))) if (STYLE_HIDDEN_RE.test(el.getAttribute('style') ?? '')) hidden.add(el);
  return hidden;
}

/** Where an element stands in the walk: its number in document order, its last descendant's, and its visible pieces (`start` -1: hidden, not entered). */
interface Place {
  pre: number;
  last: number;
  start: number;
  end: number;
}

/** Visible text pieces of a root in document order, and each element's place. */
interface VisibleIndex {
  root: Element;
  chunks: Chunk[];
  /** Every element the walk met: the entered ones (not hidden, nor inside a hidden one) and the hidden ones it stepped over. */
  places: Map<Element, Place>;
  /** `root.closest(HIDDEN_SELECTOR) !== null`: `isHidden` of every element the walk entered. */
  rootHidden: boolean;
  /** `root.querySelectorAll(selector)` per selector asked, with each element's key in document order (see `queryAll`). */
  queries: Map<string, { elements: Element[]; keys: number[] }>;
}

/** A character `cleanText` keeps (it drops whitespace, no-break and zero-width spaces and direction marks). */
const HAS_TEXT_RE = /[^\s\u00a0\u200b\u200e\u200f]/;

/**
 * One walk over `root`: its visible text nodes (trimmed, non-empty), each
 * with its parent element, skipping hidden subtrees (`root` itself is not
 * checked), and every element's place. Iterative: a deep page cannot
 * overflow the stack.
 */
function indexVisible(root: Element): VisibleIndex {
  const chunks: Chunk[] = [];
  const hidden = hiddenUnder(root);
  let place: Place = { pre: 0, last: 0, start: 0, end: 0 };
  const places = new Map<Element, Place>([[root, place]]);
  const openElements: Element[] = [];
  const openPlaces: Place[] = [];
  let pre = 0;
  let el: Element = root;
  let node: Node | null = root.firstChild;
  for (;;) {
    if (node) {
      const type = node.nodeType;
      if (type === ELEMENT_NODE) {
        pre++;
        if (hidden.has(node as Element)) {
          places.set(node as Element, { pre, last: pre, start: -1, end: -1 });
          node = node.nextSibling;
          continue;
        }
        openElements.push(el);
        openPlaces.push(place);
        el = node as Element;
        place = { pre, last: pre, start: chunks.length, end: 0 };
        places.set(el, place);
        node = el.firstChild;
        continue;
      }
      if (type === TEXT_NODE) {
        const value = node.nodeValue as string;
        // Most text nodes are the spaces between tags: `cleanText` would make them empty.
        const text = HAS_TEXT_RE.test(value) ? cleanText(value) : null;
        if (text) chunks.push({ text, el });
      }
      node = node.nextSibling;
      continue;
    }
    place.end = chunks.length;
    place.last = pre;
    if (el === root) break;
    node = el.nextSibling;
    el = openElements.pop() as Element;
    place = openPlaces.pop() as Place;
  }
  return { root, chunks, places, rootHidden: root.closest(HIDDEN_SELECTOR) !== null, queries: new Map() };
}

/**
 * The page's visible text, read once per extraction (`withVisibleIndex`):
 * the pieces of any element the walk entered are a slice of it, the same
 * pieces a walk from that element would find.
 */
let indexed: VisibleIndex | undefined;

/** Runs `read` with `root`'s visible text read once up front. */
export function withVisibleIndex<T>(root: Element, read: () => T): T {
  indexed = indexVisible(root);
  try {
    return read();
  } finally {
    indexed = undefined;
  }
}

/** `el`'s place when the walk entered it. */
function entered(el: Element): Place | undefined {
  const place = indexed?.places.get(el);
  return place && place.start >= 0 ? place : undefined;
}

/** True when the walk entered `el` below its root: neither it nor an ancestor up to the root is hidden. */
function enteredBelowRoot(el: Element): boolean {
  return el !== indexed?.root && entered(el) !== undefined;
}

/** Visible text pieces of `root` in document order (one per text node), skipping hidden subtrees; the first `limit`. */
export function visibleChunks(root: Element, limit = Number.POSITIVE_INFINITY): Chunk[] {
  let place = entered(root);
  let chunks = indexed?.chunks;
  if (!place || !chunks) {
    const own = indexVisible(root);
    place = own.places.get(root) as Place;
    chunks = own.chunks;
  }
  return chunks.slice(place.start, Math.min(place.end, place.start + limit));
}

export function visibleText(root: Element | null, max = 2000): string | null {
  if (!root || (!enteredBelowRoot(root) && isHiddenElement(root))) return null;
  return cleanText(
    visibleChunks(root)
      .map((c) => c.text)
      .join(' '),
    max,
  );
}

/** The first index in `[0, keys.length)` whose key is above `bound` (keys ascend). */
function firstAbove(keys: number[], bound: number): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((keys[mid] as number) <= bound) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * `scope.querySelectorAll(selector)`, in document order: during an
 * extraction, one query over the whole root per selector (a selector matches
 * the same elements whichever element it is asked from), of which a scope's
 * descendants are those numbered after it up to its last descendant. An
 * element inside a hidden subtree, which the walk did not number, stands just
 * after the hidden element that holds it.
 */
export function queryAll(scope: Element, selector: string): Element[] {
  const index = indexed;
  const place = entered(scope);
  if (!index || !place) return Array.from(scope.querySelectorAll(selector));
  let query = index.queries.get(selector);
  if (!query) {
    const elements = Array.from(index.root.querySelectorAll(selector));
    const keys = elements.map((el) => {
      const own = index.places.get(el);
      if (own) return own.pre;
      let holder = el.parentElement;
      while (holder && !index.places.has(holder)) holder = holder.parentElement;
      return (index.places.get(holder as Element) as Place).pre + 0.5;
    });
    query = { elements, keys };
    index.queries.set(selector, query);
  }
  return query.elements.slice(firstAbove(query.keys, place.pre), firstAbove(query.keys, place.last + 0.5));
}

/** `scope.querySelector(selector)`, from `queryAll`. */
export function queryFirst(scope: Element, selector: string): Element | null {
  return queryAll(scope, selector)[0] ?? null;
}

export function isHidden(el: Element): boolean {
  if (enteredBelowRoot(el)) return (indexed as VisibleIndex).rootHidden;
  return el.closest(HIDDEN_SELECTOR) !== null;
}
