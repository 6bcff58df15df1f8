/** The X connector: the owner's posts, from their profile timeline on x.com and from the X archive. */
import type { ConnectorDefinition } from '../types';
import { xArchiveParser } from './artifact';
import { xMeta } from './meta';
import { xPageExtractor } from './page';
import { xStreams } from './streams';

export const xExportSteps: string[] = [
  'Sign in on x.com and open More → Settings and privacy → Your account → "Download an archive of your data" (x.com/settings/download_your_data).',
  'Confirm your password and the code X sends you, then choose "Request archive".',
  'Wait for the notification that your archive is ready (it can take a day or more), then download the zip.',
  'Upload the whole zip to Gleaner (not "Your archive.html" from inside it); nothing leaves your browser.',
];

export const xOwnerCopy: NonNullable<ConnectorDefinition['ownerCopy']> = {
  searchHint: 'Words in a post…',
  acquisitionPaths: [
    {
      method: 'owner_artifact',
      title: 'Import your posts from your X archive',
      summary: 'The archive holds every post you wrote, the whole text of long posts, your edits and the posts you deleted, up to the day you requested it.',
      steps: xExportSteps,
      url: 'https://x.com/settings/download_your_data',
      urlLabel: 'Request your archive on X',
    },
    {
      method: 'browser_polyfill',
      title: 'Keep recent posts current by visiting your profile',
      summary: 'While you are signed in, the posts your profile shows as you scroll are kept (a long post as far as "Show more"; the archive brings its whole text). Other people’s profiles and reposts are never kept.',
      url: 'https://x.com/home',
      urlLabel: 'Open X (then your Profile)',
      pagesName: 'your X profile',
    },
  ],
  streamNouns: { tweets: { one: 'post', other: 'posts' } },
};

export const xConnector: ConnectorDefinition = {
  key: xMeta.key,
  displayName: xMeta.displayName,
  hosts: [...xMeta.hosts],
  matches: [...xMeta.matches],
  streams: xStreams,
  extractorVersion: xMeta.extractorVersion,
  parserVersion: xMeta.parserVersion,
  pageExtractor: xPageExtractor,
  artifactParsers: [xArchiveParser],
  exportSteps: xExportSteps,
  ownerCopy: xOwnerCopy,
};

export { xArchiveParser, xMeta, xPageExtractor, xStreams };
