/** Netflix's identity and reach, free of dependencies so the build config and content script can import it cheaply. */
export const netflixMeta = {
  key: 'netflix',
  displayName: 'Netflix',
  hosts: ['www.netflix.com'],
  /** Only the signed-in profile's own Viewing activity page. Nowhere else on Netflix. */
  matches: ['https://www.netflix.com/viewingactivity*'],
  extractorVersion: 'netflix-page/1',
  parserVersion: 'netflix-csv/1',
} as const;
