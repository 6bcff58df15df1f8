/** X's identity and reach, free of dependencies so the build config and content script can import it cheaply. */
export const xMeta = {
  key: 'x',
  displayName: 'X',
  hosts: ['x.com'],
  /**
   * Every x.com page: the site is one app that changes pages without loading
   * them, so the script must be there when the owner reaches their profile.
   * The extractor itself reads only the owner's own profile timeline.
   */
  matches: ['https://x.com/*'],
  extractorVersion: 'x-page/1',
  parserVersion: 'x-archive/1',
} as const;
