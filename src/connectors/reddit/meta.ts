/** Reddit's identity and reach, free of dependencies so the build config and content script can import it cheaply. */
export const redditMeta = {
  key: 'reddit',
  displayName: 'Reddit',
  hosts: ['old.reddit.com', 'www.reddit.com'],
  /**
   * A user's listing pages on both layouts. The extractor then reads only the six
   * listings (submitted, comments, saved, upvoted, downvoted, hidden) of the signed-in
   * user's own name; the overview and anyone else's pages yield nothing.
   */
  matches: ['https://old.reddit.com/user/*', 'https://www.reddit.com/user/*'],
  extractorVersion: 'reddit-page/1',
  parserVersion: 'reddit-csv/1',
} as const;
