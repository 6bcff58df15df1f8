/** YouTube's identity and reach, free of dependencies so the build config and content script can import it cheaply. */
export const youtubeMeta = {
  key: 'youtube',
  displayName: 'YouTube',
  hosts: ['www.youtube.com'],
  /**
   * Every www.youtube.com page, because YouTube is a single-page app: the
   * history page is usually reached without a page load, so a script matched
   * only on /feed/history would never start. The extractor reads nothing but
   * /feed/history (`youtubePageExtractor.matches`); elsewhere it only checks the URL.
   */
  matches: ['https://www.youtube.com/*'],
  extractorVersion: 'youtube-page/1',
  parserVersion: 'youtube-takeout/1',
} as const;
