/** The Reddit connector: a user's six listings, from their listing pages and the data-request export. */
import type { ConnectorDefinition } from '../types';
import { redditExportParser } from './artifact';
import { accountHintFor, usernameOf } from './ids';
import { redditMeta } from './meta';
import { redditPageExtractor } from './page';
import { redditStreams } from './streams';

export const redditExportSteps: string[] = [
  'Sign in on reddit.com and open reddit.com/settings/data-request.',
  'Choose "GDPR" (or "CCPA") and "All time", then submit the request.',
  'Wait for Reddit’s message that your data is ready (it can take up to 30 days), then download export_<your username>_<date>.zip.',
  'Upload the zip to Gleaner as it is; nothing leaves your browser. Gleaner reads your posts, comments, saved items, votes and hidden posts, and the account name; it never reads the IP addresses or messages in the zip.',
];

export const redditOwnerCopy: NonNullable<ConnectorDefinition['ownerCopy']> = {
  searchHint: 'Title, subreddit or words…',
  acquisitionPaths: [
    {
      method: 'owner_artifact',
      title: 'Import your whole history from Reddit’s data export',
      summary: 'The export reaches back to your first post, but its saved items, votes and hidden posts carry no titles or dates: visiting those lists fills them in.',
      steps: redditExportSteps,
      url: 'https://www.reddit.com/settings/data-request',
      urlLabel: 'Request your data on Reddit',
    },
    {
      method: 'browser_polyfill',
      title: 'Keep recent activity current by visiting your lists',
      summary: 'While you are signed in, each page of your posts, comments, saved, upvoted, downvoted or hidden items that you open is kept, with titles and dates. Reddit shows only about your last 1,000 of each.',
      url: 'https://old.reddit.com/user/me/saved',
      urlLabel: 'Open your saved items',
      pagesName: 'your Reddit lists',
    },
  ],
  streamNouns: {
    submitted: { one: 'post', other: 'posts' },
    comments: { one: 'comment', other: 'comments' },
    saved: { one: 'saved item', other: 'saved items' },
    upvoted: { one: 'upvoted item', other: 'upvoted items' },
    downvoted: { one: 'downvoted item', other: 'downvoted items' },
    hidden: { one: 'hidden item', other: 'hidden items' },
  },
};

export const redditConnector: ConnectorDefinition = {
  key: redditMeta.key,
  displayName: redditMeta.displayName,
  hosts: [...redditMeta.hosts],
  matches: [...redditMeta.matches],
  streams: redditStreams,
  extractorVersion: redditMeta.extractorVersion,
  parserVersion: redditMeta.parserVersion,
  pageExtractor: redditPageExtractor,
  artifactParsers: [redditExportParser],
  exportSteps: redditExportSteps,
  ownerCopy: redditOwnerCopy,
  // A CSV uploaded without statistics.csv names no account: the owner's "u/name" joins the pages of that user.
  accountHintFromOwnerName: (name) => {
    const username = usernameOf(name);
    return username ? accountHintFor(username, 'named by you when importing a file') : undefined;
  },
};

export { redditMeta, redditExportParser, redditPageExtractor, redditStreams };
