/** ChatGPT's identity and reach, free of dependencies so the build config and content script can import it cheaply. */
export const chatgptMeta = {
  key: 'chatgpt',
  displayName: 'ChatGPT',
  hosts: ['chatgpt.com'],
  /**
   * The home page and the owner's own conversations (`/c/<id>`, and those in
   * a project or GPT, `/g/<id>/c/<id>`). Never `/share/…`: a shared
   * conversation may be someone else's.
   */
  matches: ['https://chatgpt.com/', 'https://chatgpt.com/?*', 'https://chatgpt.com/c/*', 'https://chatgpt.com/g/*'],
  extractorVersion: 'chatgpt-page/1',
  parserVersion: 'chatgpt-export/1',
} as const;
