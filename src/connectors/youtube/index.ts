/** The YouTube connector: watch history, from the history page and from Google Takeout. */
import type { ConnectorDefinition } from '../types';
import { youtubeWatchHistoryParser } from './artifact';
import { youtubeMeta } from './meta';
import { youtubePageExtractor } from './page';
import { youtubeStreams } from './streams';

export const youtubeExportSteps: string[] = [
  'Open Google Takeout (takeout.google.com) signed in to the Google account you use on YouTube.',
  'Click "Deselect all", then tick "YouTube and YouTube Music".',
  'Click "Multiple formats" and set "history" to JSON (the HTML version cannot be imported), then "All YouTube data included" → keep only "history" if you like.',
  'Create the export; when Google emails you, download every zip it offers (only one of them holds your history).',
  'Upload the zip holding "YouTube and YouTube Music/history/watch-history.json" (or that file alone) to Gleaner; nothing leaves your browser.',
];

export const youtubeOwnerCopy: NonNullable<ConnectorDefinition['ownerCopy']> = {
  searchHint: 'Video title or channel…',
  acquisitionPaths: [
    {
      method: 'owner_artifact',
      title: 'Import your whole watch history from Google Takeout',
      summary: 'Takeout holds every video you watched while history was on, with the time you watched it.',
      steps: youtubeExportSteps,
      url: 'https://takeout.google.com/',
      urlLabel: 'Open Google Takeout',
    },
    {
      method: 'browser_polyfill',
      title: 'Keep recent viewings current by visiting your history',
      summary: 'While you are signed in, the videos your YouTube history page shows are kept, each under the day it shows (the page gives no time of day).',
      url: 'https://www.youtube.com/feed/history',
      urlLabel: 'Open your YouTube history',
      pagesName: 'your YouTube history',
    },
  ],
  streamNouns: {
    youtube_watch_history: { one: 'viewing', other: 'viewings' },
  },
};

export const youtubeConnector: ConnectorDefinition = {
  key: youtubeMeta.key,
  displayName: youtubeMeta.displayName,
  hosts: [...youtubeMeta.hosts],
  matches: [...youtubeMeta.matches],
  streams: youtubeStreams,
  extractorVersion: youtubeMeta.extractorVersion,
  parserVersion: youtubeMeta.parserVersion,
  pageExtractor: youtubePageExtractor,
  artifactParsers: [youtubeWatchHistoryParser],
  exportSteps: youtubeExportSteps,
  ownerCopy: youtubeOwnerCopy,
  // Takeout names no account: the owner's name for it makes a connection of its own (or they pick a page-made one).
  accountHintFromOwnerName(name) {
    const clean = name.replace(/\s+/g, ' ').trim().slice(0, 100);
    if (!clean) return undefined;
    return { key: `youtube|name:${clean.toLowerCase()}`, label: `${clean} on YouTube`, evidence: 'named by you when importing a file' };
  },
};

export { youtubeMeta, youtubePageExtractor, youtubeStreams, youtubeWatchHistoryParser };
