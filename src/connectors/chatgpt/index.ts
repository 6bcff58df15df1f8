/** The ChatGPT connector: conversations and their messages, from chatgpt.com pages and the Data controls export. */
import type { ConnectorDefinition } from '../types';
import { chatgptAccountHint } from './account';
import { chatgptExportParser } from './artifact';
import { chatgptMeta } from './meta';
import { chatgptPageExtractor } from './page';
import { chatgptStreams } from './streams';

export const chatgptExportSteps: string[] = [
  'Sign in to chatgpt.com, open your profile menu → Settings → Data controls.',
  'Choose "Export data" and confirm the export.',
  'Wait for the email from OpenAI (usually minutes, sometimes longer), then download the zip it links to (the link expires after 24 hours).',
  'Upload the zip (or conversations.json from it) to Gleaner; nothing leaves your browser. chat.html alone cannot be read.',
];

export const chatgptOwnerCopy: NonNullable<ConnectorDefinition['ownerCopy']> = {
  searchHint: 'Conversation title or words in a message…',
  acquisitionPaths: [
    {
      method: 'owner_artifact',
      title: 'Import all your conversations from an export',
      summary: 'ChatGPT’s data export holds every conversation you kept, with every branch of edited questions and regenerated answers, up to the day you asked for it.',
      steps: chatgptExportSteps,
      url: 'https://chatgpt.com/#settings/DataControls',
      urlLabel: 'Open Data controls on ChatGPT',
    },
    {
      method: 'browser_polyfill',
      title: 'Keep new conversations by opening them on chatgpt.com',
      summary: 'While you are signed in, the sidebar’s conversation titles are kept, and each conversation you open keeps the messages it shows.',
      url: 'https://chatgpt.com/',
      urlLabel: 'Open ChatGPT',
      pagesName: 'your ChatGPT conversations',
    },
  ],
  streamNouns: {
    conversations: { one: 'conversation', other: 'conversations' },
    messages: { one: 'message', other: 'messages' },
  },
};

export const chatgptConnector: ConnectorDefinition = {
  key: chatgptMeta.key,
  displayName: chatgptMeta.displayName,
  hosts: [...chatgptMeta.hosts],
  matches: [...chatgptMeta.matches],
  streams: chatgptStreams,
  extractorVersion: chatgptMeta.extractorVersion,
  parserVersion: chatgptMeta.parserVersion,
  pageExtractor: chatgptPageExtractor,
  artifactParsers: [chatgptExportParser],
  exportSteps: chatgptExportSteps,
  ownerCopy: chatgptOwnerCopy,
  // A bare conversations.json names no account; a ChatGPT user id the owner types joins that account's pages.
  accountHintFromOwnerName: (name) => chatgptAccountHint(name.trim(), undefined, 'named by you when importing a file'),
};

export { chatgptMeta, chatgptExportParser, chatgptPageExtractor, chatgptStreams };
