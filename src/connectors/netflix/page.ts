/**
 * Reads Netflix's Viewing activity page (`www.netflix.com/viewingactivity`):
 * one profile's viewings, newest first, title and day per row; "Show more"
 * appends rows, and the shared bootstrap re-extracts when the page changes.
 *
 * The profile comes from the page's own context (`netflix.reactContext`,
 * `userInfo`: the signed-in profile's name and guid); without it nothing is
 * kept. Dates follow the owner's locale (`3/15/24`, `15/03/2024`): the order
 * is inferred from the page's own rows, else from its language.
 *
 * Pure: reads only the Document and URL (plus the pure helpers in util.ts).
 */
import type { AccountHint, BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { PageCapture, PageExtractor } from '../types';
import { cleanText, evidenceKey, orderEvidence, parseDay, profileHint, type DateOrder } from './util';

interface Profile {
  name: string;
  guid: string | null;
}

/** `\x20`, `\u00e9` and `\"` escapes as Netflix writes them inside its page context. */
function unescapeJs(value: string): string {
  return value.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (_, code: string) => {
    if (code[0] === 'x' || code[0] === 'u') return String.fromCharCode(parseInt(code.slice(1), 16));
    return code;
  });
}

/** The signed-in profile from `netflix.reactContext` (`models.userInfo.data`). */
function profileOf(doc: Document): Profile | null {
  for (const script of Array.from(doc.querySelectorAll('script:not([src])'))) {
    const source = script.textContent ?? '';
    if (!source.includes('reactContext')) continue;
    const at = source.indexOf('"userInfo"');
    if (at === -1) continue;
    const slice = source.slice(at, at + 4000);
    const name = /"name"\s*:\s*"((?:[^"\\]|\\.){1,300})"/.exec(slice)?.[1];
    if (!name) continue;
    const guid = /"guid"\s*:\s*"([A-Z0-9]{6,64})"/.exec(slice)?.[1] ?? null;
    const clean = cleanText(unescapeJs(name), 100);
    if (clean) return { name: clean, guid };
  }
  return null;
}

/** The page's language decides the order when no row does: Netflix writes `3/15/24` only for US English. */
function orderFromLanguage(doc: Document): DateOrder | null {
  const lang = doc.documentElement.getAttribute('lang')?.trim();
  if (!lang) return null;
  return /^en(-US)?$/i.test(lang) ? 'MDY' : 'DMY';
}

interface Row {
  title: string;
  rawDate: string;
  href: string | null;
}

function rowsOf(doc: Document): Row[] {
  const rows: Row[] = [];
  for (const li of Array.from(doc.querySelectorAll('li.retableRow, [data-uia="activity-row"]'))) {
    const rawDate = cleanText(li.querySelector('.col.date, .date')?.textContent, 64);
    const link = li.querySelector('.col.title a, .title a');
    const title = cleanText(link?.textContent ?? li.querySelector('.col.title, .title')?.textContent);
    if (!rawDate || !title) continue;
    const id = /^\/title\/(\d{1,12})(?:[/?#]|$)/.exec(link?.getAttribute('href') ?? '')?.[1];
    rows.push({ title, rawDate, href: id ? `https://www.netflix.com/title/${id}` : null });
  }
  return rows;
}

function layoutUnrecognized(accountHint: AccountHint | undefined, message: string): PageCapture {
  return { observations: [], coverage: [], ...(accountHint ? { accountHint } : {}), warnings: [{ code: 'layout_unrecognized', message }] };
}

function extract(doc: Document, url: URL): PageCapture {
  const profile = profileOf(doc);
  const hint = profile ? profileHint(profile.name, `signed-in profile on ${url.hostname}`) : undefined;
  const rows = rowsOf(doc);
  if (rows.length === 0) {
    return layoutUnrecognized(hint, 'Gleaner found no viewings on this Viewing activity page; Netflix may have changed its layout. Nothing was saved from it.');
  }
  const evidence = rows.map((row) => orderEvidence(row.rawDate)).find((order) => order !== null) ?? null;
  const order = evidence ?? orderFromLanguage(doc);
  const warnings: BatchWarning[] = [];
  const observations: Observation[] = [];
  const seen = new Set<string>();
  let start = '';
  let end = '';
  for (const [index, row] of rows.entries()) {
    const day = parseDay(row.rawDate, order);
    if (!day) {
      if (warnings.length < 20) warnings.push({ code: 'unreadable_date', message: 'This row’s date could not be read, so the row was not kept.', where: `row ${index + 1}` });
      continue;
    }
    const id = evidenceKey(['viewing_activity_page', profile?.guid ?? profile?.name ?? null, row.title, day]);
    if (seen.has(id)) continue;
    seen.add(id);
    if (!start || day < start) start = day;
    if (!end || day > end) end = day;
    const data: Record<string, unknown> = {
      id,
      title: row.title,
      watched_on: day,
      watched_at_precision: 'day',
      watched_at_raw: row.rawDate,
      source_schema: 'viewing_activity_page',
    };
    if (profile) data.profile_name = profile.name;
    if (row.href) data.title_url = row.href;
    observations.push({ stream: 'viewing_activity', data });
  }
  const coverage: CoverageClaim[] = start
    ? [{ stream: 'viewing_activity', start, end, completeness: 'partial', evidence: `the ${observations.length} most recent titles the Viewing activity page showed (it lists each title once, at its latest viewing)` }]
    : [];
  return { observations, coverage, ...(hint ? { accountHint: hint } : {}), warnings };
}

export const netflixPageExtractor: PageExtractor = {
  matches(url: URL): boolean {
    return url.protocol === 'https:' && url.hostname === 'www.netflix.com' && /^\/viewingactivity\/?$/i.test(url.pathname);
  },
  extract,
};
