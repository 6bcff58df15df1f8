/**
 * Generated viewing-history exports for `BENCH_ONLY=viewing` (scripts/bench/viewing.ts),
 * written as their services deliver them, streamed to disk (a 200,000-entry file is
 * never held whole):
 *
 * - a Google Takeout zip holding `Takeout/YouTube and YouTube Music/history/watch-history.json`
 *   (two-space indent and `\u003d`-style escapes as Takeout writes them, newest first;
 *   repeat viewings of a pool of videos, YouTube Music entries, times with and without
 *   milliseconds, bare-URL titles, and entries that are skipped: ads, removed videos,
 *   "Visited YouTube Music") beside other Takeout files;
 * - a Netflix account export zip holding `CONTENT_INTERACTION/ViewingActivity.csv`
 *   (every viewing of a few profiles, grouped by profile and newest first as Netflix
 *   writes it; episodes and films, "Not latest view" and autoplay attributes, and
 *   trailers, hooks and recaps that are skipped) beside other export files.
 */
import { createWriteStream } from 'node:fs';
import { random } from './chatgpt';
import { once } from 'node:events';
import { Zip, ZipDeflate } from 'fflate';

const MTIME = new Date('2026-11-30T10:00:00Z');
const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const WORDS = 'river night train glacier bread sourdough bike chain chess opening garden tomato lisbon tram python chart harbour light museum paper moon kitchen quiet board guitar lesson review unboxing trailer live session walk city rain storm ocean'.split(' ');
const CHANNELS = ['Harbour Skills', 'Slow Rail', 'Spoke & Chain', 'Ice Watch', 'Quiet Board', 'Shavings', 'Lena Ostrova - Topic', "Kim's Kitchen", 'Tech Bench', 'Night Owl Radio', 'Mapmaker', 'Café Lumière TV'];


const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
const words = (rand: () => number, n: number) => Array.from({ length: n }, () => pick(rand, WORDS)).join(' ');
const idOf = (rand: () => number, n: number) => Array.from({ length: n }, () => ID_CHARS[Math.floor(rand() * ID_CHARS.length)]).join('');

/** A zip written as it is generated: `files` are (name, text generator) pairs, each deflated as a stream. */
async function writeZip(file: string, files: [string, () => Generator<string>][]): Promise<void> {
  const out = createWriteStream(file);
  let failure: Error | null = null;
  const zip = new Zip((error, chunk, final) => {
    if (error) failure = error;
    else out.write(chunk);
    if (final) out.end();
  });
  const encoder = new TextEncoder();
  for (const [name, generate] of files) {
    const entry = new ZipDeflate(name, { level: 6 });
    entry.mtime = MTIME;
    zip.add(entry);
    let block = '';
    for (const text of generate()) {
      block += text;
      if (block.length < 256 * 1024) continue;
      entry.push(encoder.encode(block));
      block = '';
      if (out.writableNeedDrain) await once(out, 'drain');
    }
    entry.push(encoder.encode(block), true);
  }
  zip.end();
  if (!out.writableFinished) await once(out, 'finish');
  if (failure) throw failure;
}

function* text(value: string): Generator<string> {
  yield value;
}

/** What the watch-history file holds besides kept viewings, by kind. */
export interface YoutubeCounts {
  entries: number;
  ads: number;
  removed: number;
  visits: number;
}

/** One Takeout entry (Takeout's own field order), as pretty JSON with its escapes. */
function takeoutEntry(index: number, at: number, pool: { id: string; title: string; channel: number }[], rand: () => number, counts: YoutubeCounts): string {
  const time = new Date(at).toISOString();
  // About a third of real entries carry no milliseconds.
  const stamp = index % 3 === 0 ? time.replace(/\.\d{3}Z$/, 'Z') : time;
  let entry: Record<string, unknown>;
  if (index % 47 === 5) {
    counts.ads++;
    entry = {
      header: 'YouTube',
      title: `Watched ${words(rand, 4)} deals`,
      titleUrl: `https://www.youtube.com/watch?v=${idOf(rand, 11)}`,
      time: stamp,
      products: ['YouTube'],
      details: [{ name: 'From Google Ads' }],
      activityControls: ['Web & App Activity', 'YouTube watch history', 'YouTube search history'],
    };
  } else if (index % 61 === 7) {
    counts.removed++;
    entry = { header: 'YouTube', title: 'Watched a video that has been removed', time: stamp, products: ['YouTube'], activityControls: ['YouTube watch history'] };
  } else if (index % 389 === 11) {
    counts.visits++;
    entry = { header: 'YouTube Music', title: 'Visited YouTube Music', titleUrl: 'https://music.youtube.com/', time: stamp, products: ['YouTube'], activityControls: ['YouTube watch history'] };
  } else {
    // Most viewings are of videos watched before (a pool of 20,000, favourites far more often).
    const video = pool[Math.floor(rand() ** 2 * pool.length)]!;
    const music = video.channel % 6 === 5;
    const url = `https://${music ? 'music' : 'www'}.youtube.com/watch?v=${video.id}`;
    const channel = CHANNELS[video.channel % CHANNELS.length]!;
    entry = {
      header: music ? 'YouTube Music' : 'YouTube',
      title: `Watched ${index % 211 === 3 ? url : video.title}`,
      titleUrl: url,
      subtitles: [{ name: channel, url: `https://www.youtube.com/channel/UC${video.id}${String(video.channel).padStart(11, 'x')}` }],
      time: stamp,
      products: ['YouTube'],
      activityControls: ['YouTube watch history'],
    };
  }
  const json = JSON.stringify(entry, null, 2).replace(/\n/g, '\n  ');
  return json.replace(/=/g, '\\u003d').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027');
}

function* watchHistory(entries: number, seed: number, counts: YoutubeCounts): Generator<string> {
  const rand = random(seed);
  const pool = Array.from({ length: 20_000 }, (_, i) => ({ id: idOf(rand, 11), title: `${words(rand, 2 + (i % 6))}`.replace(/^./, (c) => c.toUpperCase()), channel: Math.floor(rand() * 400) }));
  // Newest first: from late 2026 back, a few minutes to a day between viewings.
  let at = Date.UTC(2026, 10, 29, 21, 14, 3, 417);
  yield '[';
  for (let i = 0; i < entries; i++) {
    yield `${i === 0 ? '' : ','}\n  ${takeoutEntry(i, at, pool, rand, counts)}`;
    at -= 60_000 + Math.floor(rand() * (i % 9 === 0 ? 86_400_000 : 40 * 60_000)) + Math.floor(rand() * 1000);
  }
  yield '\n]';
  counts.entries = entries;
}

/** A Takeout zip with `entries` watch-history entries (and other YouTube files Gleaner does not read). */
export async function writeTakeoutZip(file: string, entries: number, seed: number): Promise<YoutubeCounts> {
  const counts: YoutubeCounts = { entries: 0, ads: 0, removed: 0, visits: 0 };
  await writeZip(file, [
    ['Takeout/archive_browser.html', () => text('<html><body>Archive</body></html>')],
    ['Takeout/YouTube and YouTube Music/history/search-history.json', () => text('[]')],
    ['Takeout/YouTube and YouTube Music/history/watch-history.json', () => watchHistory(entries, seed, counts)],
    ['Takeout/YouTube and YouTube Music/subscriptions/subscriptions.csv', () => text('Channel Id,Channel Url,Channel Title\nUCq8x0Lw2n9dE3rT5yU7iO1p,http://www.youtube.com/channel/UCq8x0Lw2n9dE3rT5yU7iO1p,Old Archive\n')],
  ]);
  return counts;
}

const NETFLIX_HEADER = 'Profile Name,Start Time,Duration,Attributes,Title,Supplemental Video Type,Device Type,Bookmark,Latest Bookmark,Country\r\n';
const DEVICES = ['Samsung 2019 UHD TV', 'Chrome PC (Cadmium)', 'iPhone 14', 'Apple iPad Air (4th Gen)', 'Sony PS5', 'Android DefaultWidevineL3Phone', 'LG 2021 webOS TV'];
const SUPPLEMENTAL = ['HOOK', 'TRAILER', 'RECAP', 'TEASER_TRAILER', 'BUMPER'];

const clock = (seconds: number) => `${Math.floor(seconds / 3600)}:${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
const csvCell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** `profiles`' viewings, each profile's rows together, newest first (as Netflix writes the file). */
function* viewingActivity(rows: number, seed: number, profiles: { name: string; share: number }[], counts: { supplemental: number }): Generator<string> {
  const rand = random(seed);
  const shows = Array.from({ length: 300 }, (_, i) => ({ name: `${words(rand, 1 + (i % 3))}`.replace(/\b./g, (c) => c.toUpperCase()), seasons: 1 + (i % 5), film: i % 4 === 0 }));
  yield NETFLIX_HEADER;
  let written = 0;
  for (const [p, profile] of profiles.entries()) {
    const mine = p === profiles.length - 1 ? rows - written : Math.round(rows * profile.share);
    let at = Date.UTC(2026, 10, 28, 23, 50, 0) - p * 3_600_000;
    for (let i = 0; i < mine; i++) {
      const show = pick(rand, shows);
      const season = 1 + Math.floor(rand() * show.seasons);
      const episode = 1 + Math.floor(rand() * 10);
      const episodeTitle = words(rand, 1 + (i % 3)).replace(/^./, (c) => c.toUpperCase());
      const title = show.film ? show.name : `${show.name}: Season ${season}: ${episodeTitle} (Episode ${episode})`;
      const supplemental = i % 13 === 4 ? SUPPLEMENTAL[i % SUPPLEMENTAL.length]! : '';
      if (supplemental) counts.supplemental++;
      const watched = supplemental ? 10 + Math.floor(rand() * 120) : 60 + Math.floor(rand() * 5400);
      const attributes = i % 7 === 2 ? 'Not latest view' : i % 11 === 3 ? 'Autoplayed: user action: None; ' : '';
      const start = new Date(at).toISOString().replace('T', ' ').slice(0, 19);
      const bookmark = clock(watched);
      yield `${csvCell(profile.name)},${start},${clock(watched)},${attributes},${csvCell(title)},${supplemental},${pick(rand, DEVICES)},${bookmark},${attributes === 'Not latest view' ? 'Not latest view' : bookmark},US (United States)\r\n`;
      at -= (watched + 30 + Math.floor(rand() * (i % 5 === 0 ? 86_400 : 3_600))) * 1000;
    }
    written += mine;
  }
}

/** A Netflix account export zip with `rows` viewing-activity rows of `profiles` (and other export files). */
export async function writeNetflixZip(file: string, rows: number, seed: number, profiles: { name: string; share: number }[]): Promise<{ supplemental: number }> {
  const counts = { supplemental: 0 };
  await writeZip(file, [
    ['CONTENT_INTERACTION/ViewingActivity.csv', () => viewingActivity(rows, seed, profiles, counts)],
    ['CONTENT_INTERACTION/Ratings.csv', () => text(`Profile Name,Title Name,Thumbs Value,Event Utc Ts\r\n${csvCell(profiles[0]!.name)},Café Lumière,2,2024-02-13 22:00:00\r\n`)],
    ['Cover sheet.pdf', () => text('%PDF-1.4 (placeholder)')],
  ]);
  return counts;
}
