/** The Netflix connector: each profile's viewing activity, from the Viewing activity page and Netflix's two exports. */
import type { ConnectorDefinition } from '../types';
import { netflixViewingActivityParser, netflixViewingHistoryParser } from './artifact';
import { netflixMeta } from './meta';
import { netflixPageExtractor } from './page';
import { netflixStreams } from './streams';
import { profileHint } from './util';

export const netflixExportSteps: string[] = [
  'For one profile, right now: sign in to netflix.com, choose the profile, open Account → Profiles → Viewing activity (netflix.com/viewingactivity) and select "Download all" at the bottom. You get NetflixViewingHistory.csv (titles and days).',
  'For every profile with exact times, devices and durations: open netflix.com/account/getmyinfo and request your personal information.',
  'Confirm the request from the email Netflix sends you, then wait for the "ready" email (it can take up to 30 days) and download the zip it links to.',
  'Upload NetflixViewingHistory.csv or the whole zip to Gleaner; nothing leaves your browser.',
];

export const netflixOwnerCopy: NonNullable<ConnectorDefinition['ownerCopy']> = {
  searchHint: 'Title, show or profile…',
  acquisitionPaths: [
    {
      method: 'owner_artifact',
      title: 'Import your history from an export',
      summary: 'Netflix’s account export holds every viewing of every profile; the Viewing activity page’s "Download all" gives one profile’s titles at once.',
      steps: netflixExportSteps,
      url: 'https://www.netflix.com/account/getmyinfo',
      urlLabel: 'Request your information on Netflix',
    },
    {
      method: 'browser_polyfill',
      title: 'Keep recent viewing current by visiting Viewing activity',
      summary: 'While you are signed in, the Viewing activity page of the profile you are using is kept each time you open it; "Show more" adds older rows.',
      url: 'https://www.netflix.com/viewingactivity',
      urlLabel: 'Open Viewing activity',
      pagesName: 'Viewing activity',
    },
  ],
  streamNouns: {
    viewing_activity: { one: 'viewing', other: 'viewings' },
  },
};

export const netflixConnector: ConnectorDefinition = {
  key: netflixMeta.key,
  displayName: netflixMeta.displayName,
  hosts: [...netflixMeta.hosts],
  matches: [...netflixMeta.matches],
  streams: netflixStreams,
  extractorVersion: netflixMeta.extractorVersion,
  parserVersion: netflixMeta.parserVersion,
  pageExtractor: netflixPageExtractor,
  artifactParsers: [netflixViewingHistoryParser, netflixViewingActivityParser],
  exportSteps: netflixExportSteps,
  ownerCopy: netflixOwnerCopy,
  // The quick CSV names no profile; the owner's name for it joins that profile's page captures and export rows.
  accountHintFromOwnerName: (name) => profileHint(name, 'named by you when importing a file'),
};

export { netflixMeta, netflixPageExtractor, netflixStreams, netflixViewingActivityParser, netflixViewingHistoryParser };
