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

// Services Gleaner has no connector for yet (the ones it reads claim their files before these are asked).
const FOREIGN_BY_CONTENT: { test: (format: SniffedFormat, head: string) => boolean; service: string; what: string }[] = [
  { service: 'Spotify', what: 'listening history', test: (f, h) => f === 'json' && /"(endTime|ts)"/.test(h) && /"ms_?[pP]layed"/.test(h) },
  { service: 'Instagram', what: 'data download', test: (f, h) => f === 'json' && /"string_map_data"|"string_list_data"/.test(h) },
];

const FOREIGN_BY_PATH: { re: RegExp; service: string; what: string }[] = [
  { re: /(^|\/)(StreamingHistory\w*|Streaming_History_\w+)\.json$/i, service: 'Spotify', what: 'listening history' },
  { re: /(^|\/)(your_instagram_activity|personal_information)\//i, service: 'Instagram', what: 'data download' },
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
  if (/watch-history|search-history|takeout|youtube/i.test(path)) {
    return 'Export it again and choose JSON in Takeout\'s YouTube options ("Multiple formats" → history → JSON); the HTML version is for reading, not importing.';
  }
  // A Your Orders page saved from the browser: Amazon offers no HTML export, so say what does work.
  if (/your[ _-]?orders|order[ _-]?history|order[ _-]?details|amazon/i.test(path)) {
    return 'It looks like an Amazon page saved from your browser. Gleaner keeps what Your Orders pages show by itself while you visit them signed in; for your whole history, request Amazon’s data export (a zip) and upload that.';
  }
  // The X archive's page for reading it in a browser: the posts are in the zip's data/ folder.
  if (/your[ _-]?archive|twitter|tweets?\b/i.test(path)) {
    return 'It looks like the page of your X archive for reading in a browser (Your archive.html). Upload the whole archive zip X sent you instead: your posts are in its data/tweets.js.';
  }
  // ChatGPT's export carries its conversations twice: chat.html for reading, conversations.json for data.
  if (/(^|\/)chat\.html?$/i.test(path)) return 'This is ChatGPT’s chat.html, made for reading: upload the zip, or conversations.json from it.';
  return 'Gleaner reads the data version of an export (a CSV, JSON or zip file from the service), not a saved web page.';
}

/**
 * A Google Takeout zip without the part a connector reads: Takeout splits large
 * exports into several zips and only one holds each service's history.
 */
export function takeoutPartRefusal(fileName: string, paths: readonly string[]): string | undefined {
  if (!paths.some((path) => /^Takeout\//.test(path))) return undefined;
  return `"${fileName}" is one part of a Google Takeout export, but it does not hold your YouTube watch history. Upload the part (zip) that holds "YouTube and YouTube Music/history/watch-history.json".`;
}

/** What to do about an empty file: usually a download that did not finish. */
export function emptyFileRefusal(fileName: string): string {
  return `"${fileName}" is empty (0 bytes), so there is nothing to import. The download may not have finished: download the export again and upload the new file.`;
}
