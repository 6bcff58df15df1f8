/**
 * What kind of file is this, by content: zip, CSV, JSON, a JS-wrapped array,
 * an HTML page, or something else. Also recognises exports of services
 * Gleaner has no connector for, so the owner hears "this is your Netflix
 * history" instead of "unknown file".
 */
import { looksLikeZip } from './zip-reader';
import { headText } from './text';

export type SniffedFormat = 'zip' | 'csv' | 'json' | 'js-array' | 'html' | 'text' | 'binary' | 'other-archive';

export interface Sniffed {
  format: SniffedFormat;
  /** The decoded first characters (text formats only). */
  head: string;
}

export function sniffFormat(headBytes: Uint8Array): Sniffed {
  if (looksLikeZip(headBytes)) return { format: 'zip', head: '' };
  const b = headBytes;
  if ((b[0] === 0x1f && b[1] === 0x8b) || (b[0] === 0x37 && b[1] === 0x7a && b[2] === 0xbc) || (b[0] === 0x52 && b[1] === 0x61 && b[2] === 0x72 && b[3] === 0x21)) {
    return { format: 'other-archive', head: '' };
  }
  const utf16 = (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff);
  if (!utf16) {
    let control = 0;
    const sample = Math.min(b.length, 4096);
    for (let i = 0; i < sample; i++) {
      const c = b[i]!;
      if (c === 0) return { format: 'binary', head: '' };
      if (c < 9 || (c > 13 && c < 32)) control++;
    }
    if (sample > 0 && control / sample > 0.05) return { format: 'binary', head: '' };
  }
  const head = headText(headBytes);
  const trimmed = head.trimStart();
  if (/^<(!doctype\s+html|html|head|body|meta|table|div|!--)/i.test(trimmed)) return { format: 'html', head };
  if (/^[[{]/.test(trimmed)) return { format: 'json', head };
  if (/^(?:window\.|var |let |const )?[\w$.[\]'"]+\s*=\s*[[{]/.test(trimmed)) return { format: 'js-array', head };
  const firstLine = trimmed.split(/\r?\n/, 1)[0] ?? '';
  if (/[,;\t]/.test(firstLine) && firstLine.length < 20_000) return { format: 'csv', head };
  return { format: 'text', head };
}

/** A service Gleaner can recognise but not (yet) read. */
export interface ForeignExport {
  service: string;
  what: string;
}

const FOREIGN_BY_CONTENT: { test: (format: SniffedFormat, head: string) => boolean; service: string; what: string }[] = [
  { service: 'Netflix', what: 'viewing history', test: (f, h) => f === 'csv' && /^\s*"?Title"?,"?Date"?\s*(\r?\n|$)/i.test(h) },
  { service: 'Netflix', what: 'viewing activity', test: (f, h) => f === 'csv' && /Profile Name/i.test(h) && /Start Time/i.test(h) },
  { service: 'X (Twitter)', what: 'archive', test: (f, h) => f === 'js-array' && /window\.YTD\./.test(h) },
  { service: 'YouTube', what: 'watch history', test: (f, h) => f === 'json' && /"titleUrl"/.test(h) && /"time"/.test(h) },
  { service: 'Reddit', what: 'data export', test: (f, h) => f === 'csv' && /^\s*id,permalink,/i.test(h) },
];

const FOREIGN_BY_PATH: { re: RegExp; service: string; what: string }[] = [
  { re: /(^|\/)CONTENT_INTERACTION\/ViewingActivity\.csv$/i, service: 'Netflix', what: 'account export' },
  { re: /(^|\/)NetflixViewingHistory\.csv$/i, service: 'Netflix', what: 'viewing history' },
  { re: /(^|\/)data\/(tweets?|account)(-part\d+)?\.js$/i, service: 'X (Twitter)', what: 'archive' },
  { re: /(^|\/)watch-history\.(json|html)$/i, service: 'YouTube', what: 'watch history (Google Takeout)' },
  { re: /(^|\/)(saved_posts|post_votes|comment_votes)\.csv$/i, service: 'Reddit', what: 'data export' },
];

export function foreignByContent(format: SniffedFormat, head: string): ForeignExport | undefined {
  const hit = FOREIGN_BY_CONTENT.find((entry) => entry.test(format, head));
  return hit && { service: hit.service, what: hit.what };
}

export function foreignByPath(path: string): ForeignExport | undefined {
  const hit = FOREIGN_BY_PATH.find((entry) => entry.re.test(path));
  return hit && { service: hit.service, what: hit.what };
}

/** Exports whose data version is JSON (the HTML version is for reading, not importing). */
export function htmlExportHint(path: string): string {
  if (/watch-history|search-history|takeout/i.test(path)) return 'In Google Takeout, choose JSON instead of HTML for your history.';
  // A Your Orders page saved from the browser: Amazon offers no HTML export, so say what does work.
  if (/your[ _-]?orders|order[ _-]?history|order[ _-]?details|amazon/i.test(path)) {
    return 'It looks like an Amazon page saved from your browser. Gleaner keeps what Your Orders pages show by itself while you visit them signed in; for your whole history, request Amazon’s data export (a zip) and upload that.';
  }
  // ChatGPT's export carries its conversations twice: chat.html for reading, conversations.json for data.
  if (/(^|\/)chat\.html?$/i.test(path)) return 'This is ChatGPT’s chat.html, made for reading: upload the zip, or conversations.json from it.';
  return 'Gleaner reads the data version of an export (a CSV, JSON or zip file from the service), not a saved web page.';
}

/** What to do about an empty file: usually a download that did not finish. */
export function emptyFileRefusal(fileName: string): string {
  return `"${fileName}" is empty (0 bytes), so there is nothing to import. The download may not have finished: download the export again and upload the new file.`;
}
