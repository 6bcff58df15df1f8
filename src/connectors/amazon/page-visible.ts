/**
 * The visible text of an Amazon page: what the owner sees, never text inside
 * hidden elements (popovers, `aok-hidden`, `aria-hidden`, inline
 * `display: none`). During an extraction (`withVisibleIndex`) the page is
 * read once and every scope's text and queries are answered from that read.
 *
 * DOM calls are the cost here (3–4× dearer in the content script's isolated
 * world than in the page's), so the read uses the browser's bulk lookups:
 * one list of all elements numbers them in document order, the hidden ones
 * come from selector queries, and a text-only TreeWalker visits text nodes;
 * which text is hidden, and what lies inside what, is then arithmetic on
 * those numbers.
 *
 * Bundled into the content script (see `page.ts`): `util` only.
 */
import { MAX_TEXT, cleanText } from './util';

/** Never read: these tags, hidden attributes and Amazon's hiding classes (and, below, inline `display: none`). */
const HIDDEN_TAGS = ['script', 'style', 'template', 'noscript', 'select', 'option', 'svg', 'iframe'];
const HIDDEN_CLASSES = ['aok-hidden', 'a-hidden', 'a-popover-preload', 'aok-offscreen-hidden'];
const HIDDEN_ELEMENT = `${HIDDEN_TAGS.join(', ')}, [hidden], [aria-hidden="true"], ${HIDDEN_CLASSES.map((c) => `.${c}`).join(', ')}`;
/** What `isHidden` looks for on an element and its ancestors (a part of `HIDDEN_ELEMENT`). */
const HIDDEN_SELECTOR =
  '[hidden], [aria-hidden="true"], .aok-hidden, .a-hidden, .a-popover-preload, script, style, template, noscript';
const STYLE_HIDDEN_RE = /(?:display\s*:\s*none|visibility\s*:\s*hidden)/i;
const SHOW_ELEMENT = 1;
const SHOW_TEXT = 4;

export interface Chunk {
  text: string;
  el: Element;
}

export function isHiddenElement(el: Element): boolean {
  if (el.matches(HIDDEN_ELEMENT)) return true;
  const style = el.getAttribute('style');
  return style !== null && STYLE_HIDDEN_RE.test(style);
}

/** Visible text pieces of a root in document order, and the numbers that place elements among them. */
interface VisibleIndex {
  root: Element;
  chunks: Chunk[];
  /** Each chunk's element's number (ascending with the chunks). */
  at: number[];
  /** Every element under the root numbered in document order (the root 0). */
  numbers: Map<Element, number>;
  /** The outermost hidden subtrees under the root: numbers `hiddenFrom[i]` to `hiddenTo[i]`, ascending. */
  hiddenFrom: number[];
  hiddenTo: number[];
  /** The number of an element's last descendant (itself when it has none), as asked. */
  lasts: Map<Element, number>;
  /** `root.closest(HIDDEN_SELECTOR) !== null`: `isHidden` of every element under the root outside hidden subtrees. */
  rootHidden: boolean;
  /** `root.querySelectorAll(selector)` per selector asked, with each element's number (see `queryAll`). */
  queries: Map<string, { elements: Element[]; keys: number[] }>;
}

/** A character `cleanText` keeps (it drops whitespace, no-break and zero-width spaces and direction marks). */
const HAS_TEXT_RE = /[^\s\u00a0\u200b\u200e\u200f]/;
/**
 * `HAS_TEXT_RE.test(value)`, with the common cases decided by hand: most
 * text nodes are the ASCII spaces and line breaks between tags, and a test
 * of the expression on each costs as much as reading it.
 */
function hasText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 32 || (code >= 9 && code <= 13)) continue;
    return code < 128 || HAS_TEXT_RE.test(value.slice(i));
  }
  return false;
}

/** What `cleanText` would change: space other than single inner spaces, or zero-width spaces and direction marks. */
const UNCLEAN_RE = /[^\S ]|[\u200b\u200e\u200f]|  |^ | $/;

/** `Array.from(list)`, by index: the iterator `Array.from` takes costs as much again per element as the query. */
function elementsOf(list: ArrayLike<Element>): Element[] {
  const elements = new Array<Element>(list.length);
  for (let i = 0; i < list.length; i++) elements[i] = list[i] as Element;
  return elements;
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

/** The number of `el`'s last descendant in `index` (its own when it has none). */
function lastOf(index: VisibleIndex, el: Element): number {
  let last = index.lasts.get(el);
  if (last === undefined) {
    // One before the first element after the subtree: a sibling is usually a step away, the deepest last child several.
    // The ancestors climbed on the way (each its parent's last child) end where `el` does.
    const climbed: Element[] = [];
    last = index.numbers.size - 1;
    for (let p: Element | null = el; p && p !== index.root; p = p.parentElement) {
      const known = index.lasts.get(p);
      if (known !== undefined) {
        last = known;
        break;
      }
      climbed.push(p);
      const next = p.nextElementSibling;
      if (next) {
        last = (index.numbers.get(next) as number) - 1;
        break;
      }
    }
    for (const p of climbed) index.lasts.set(p, last);
    index.lasts.set(el, last);
  }
  return last;
}

/** True when element number `n` is a hidden element or inside one. */
function inHidden(index: VisibleIndex, n: number): boolean {
  const i = firstAbove(index.hiddenFrom, n) - 1;
  return i >= 0 && n <= (index.hiddenTo[i] as number);
}

/**
 * Reads `root` once: its visible text nodes (trimmed, non-empty), each with
 * its parent element, leaving out text inside hidden elements (`root`
 * itself is not checked).
 */
function indexVisible(root: Element): VisibleIndex {
  const numbers = new Map<Element, number>([[root, 0]]);
  const elements = root.ownerDocument.createTreeWalker(root, SHOW_ELEMENT);
  let count = 0;
  for (let el = elements.nextNode(); el; el = elements.nextNode()) numbers.set(el as Element, ++count);
  const index: VisibleIndex = {
    root,
    chunks: [],
    at: [],
    numbers,
    hiddenFrom: [],
    hiddenTo: [],
    lasts: new Map(),
    rootHidden: root.closest(HIDDEN_SELECTOR) !== null,
    queries: new Map(),
  };

  // The browser's own lookups (single classes and tags are its fast paths), not one query of the whole selector list.
  const hidden: [number, Element][] = [];
  const add = (list: ArrayLike<Element>) => {
    for (let i = 0; i < list.length; i++) hidden.push([numbers.get(list[i] as Element) as number, list[i] as Element]);
  };
  for (const tag of HIDDEN_TAGS) add(root.getElementsByTagName(tag));
  for (const name of HIDDEN_CLASSES) add(root.getElementsByClassName(name));
  add(root.querySelectorAll('[hidden]'));
  add(root.querySelectorAll('[aria-hidden="true"]'));
  add(elementsOf(root.querySelectorAll('[style]')).filter((el) => STYLE_HIDDEN_RE.test(el.getAttribute('style') ?? '')));
  hidden.sort((a, b) => a[0] - b[0]);
  let hiddenEnd = -1;
  for (const [n, el] of hidden) {
    if (n <= hiddenEnd) continue; // inside the previous hidden subtree
    hiddenEnd = lastOf(index, el);
    index.hiddenFrom.push(n);
    index.hiddenTo.push(hiddenEnd);
  }

  // Text nodes come in document order, so the hidden subtree to test against only moves forward.
  let h = 0;
  const walker = root.ownerDocument.createTreeWalker(root, SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const value = node.nodeValue as string;
    // Most text nodes are the spaces between tags: `cleanText` would make them empty.
    if (!hasText(value)) continue;
    const el = node.parentNode as Element;
    const n = numbers.get(el) as number;
    while (h < index.hiddenTo.length && (index.hiddenTo[h] as number) < n) h++;
    if (h < index.hiddenFrom.length && (index.hiddenFrom[h] as number) <= n) continue;
    // Most pieces are clean already: `cleanText`'s replace is the walk's dearest step.
    const text = value.length <= MAX_TEXT && !UNCLEAN_RE.test(value) ? value : cleanText(value);
    if (!text) continue;
    index.chunks.push({ text, el });
    index.at.push(n);
  }
  return index;
}

/**
 * The page's visible text, read once per extraction (`withVisibleIndex`):
 * the pieces of any element outside hidden subtrees are a slice of it, the
 * same pieces a read from that element would find.
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

/** `el`'s number when it lies under the root outside hidden subtrees (the root itself included). */
function entered(index: VisibleIndex | undefined, el: Element): number | undefined {
  const n = index?.numbers.get(el);
  return n !== undefined && !inHidden(index as VisibleIndex, n) ? n : undefined;
}

/** True when `el` lies below the root outside hidden subtrees. */
function enteredBelowRoot(el: Element): boolean {
  return el !== indexed?.root && entered(indexed, el) !== undefined;
}

/** Visible text pieces of `root` in document order (one per text node), skipping hidden subtrees; the first `limit`. */
export function visibleChunks(root: Element, limit = Number.POSITIVE_INFINITY): Chunk[] {
  let index = indexed;
  let n = entered(index, root);
  if (!index || n === undefined) {
    index = indexVisible(root);
    n = 0;
  }
  const start = firstAbove(index.at, n - 1);
  const end = firstAbove(index.at, lastOf(index, root));
  return index.chunks.slice(start, Math.min(end, start + limit));
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

/**
 * `scope.querySelectorAll(selector)`, in document order: during an
 * extraction, one query over the whole root per selector (`selector` is a
 * list of selectors without commas of their own; a selector matches
 * the same elements whichever element it is asked from), of which a scope's
 * descendants are those numbered after it up to its last descendant.
 */
export function queryAll(scope: Element, selector: string): Element[] {
  const index = indexed;
  const n = entered(index, scope);
  if (!index || n === undefined) return elementsOf(scope.querySelectorAll(selector));
  let query = index.queries.get(selector);
  if (!query) {
    // Each selector of a list on its own (the browser matches a single class or tag much faster than a list), merged in document order.
    const parts = selector.split(',');
    if (parts.length === 1) {
      const elements = elementsOf(index.root.querySelectorAll(selector));
      query = { elements, keys: elements.map((el) => index.numbers.get(el) as number) };
    } else {
      const found = new Map<number, Element>();
      for (const part of parts) {
        for (const el of elementsOf(index.root.querySelectorAll(part))) found.set(index.numbers.get(el) as number, el);
      }
      const keys = [...found.keys()].sort((a, b) => a - b);
      query = { elements: keys.map((key) => found.get(key) as Element), keys };
    }
    index.queries.set(selector, query);
  }
  return query.elements.slice(firstAbove(query.keys, n), firstAbove(query.keys, lastOf(index, scope)));
}

/** `scope.querySelector(selector)`, from `queryAll`. */
export function queryFirst(scope: Element, selector: string): Element | null {
  return queryAll(scope, selector)[0] ?? null;
}

/** `outer.contains(inner)`, from the numbers when both lie under the root. */
export function holds(outer: Element, inner: Element): boolean {
  const index = indexed;
  const o = index?.numbers.get(outer);
  const i = index?.numbers.get(inner);
  if (!index || o === undefined || i === undefined) return outer.contains(inner);
  return o <= i && i <= lastOf(index, outer);
}

/** Elements that `holdsAny` tests many ancestors against, their numbers looked up once. */
export interface ElementSet {
  elements: Element[];
  numbers: (number | undefined)[];
}

export function elementSet(elements: Element[]): ElementSet {
  const index = indexed;
  return { elements, numbers: elements.map((el) => index?.numbers.get(el)) };
}

/** `set.elements.some((el) => holds(outer, el))`: an ancestor tested against an item's neighbours is one lookup, not one per neighbour. */
export function holdsAny(outer: Element, set: ElementSet): boolean {
  const index = indexed;
  const o = index?.numbers.get(outer);
  const last = index && o !== undefined ? lastOf(index, outer) : undefined;
  for (let i = 0; i < set.elements.length; i++) {
    const n = set.numbers[i];
    const inside = last !== undefined && n !== undefined ? (o as number) <= n && n <= last : outer.contains(set.elements[i] as Element);
    if (inside) return true;
  }
  return false;
}

export function isHidden(el: Element): boolean {
  if (enteredBelowRoot(el)) return (indexed as VisibleIndex).rootHidden;
  return el.closest(HIDDEN_SELECTOR) !== null;
}
