/** The Amazon connector: orders and ordered items, from Your Orders pages and the order history export. */
import type { ConnectorDefinition } from '../types';
import { amazonOrderHistoryParser } from './artifact';
import { amazonMeta } from './meta';
import { amazonPageExtractor } from './page';
import { amazonStreams } from './streams';
import { accountHintFor } from './util';

export const amazonExportSteps: string[] = [
  'Sign in to amazon.com and open Account & Lists → "Request Your Information" (amazon.com/hz/privacy-central/data-requests/preview.html).',
  'In "Request My Data", choose "Your Orders" and submit the request.',
  'Confirm the request from the email Amazon sends you (the link expires after a few days).',
  'Wait for the "Your data is ready" email (it can take days), then download the zip it links to.',
  'Upload the zip (or the Retail.OrderHistory CSV inside it) to Gleaner; nothing leaves your browser.',
];

export const amazonConnector: ConnectorDefinition = {
  key: amazonMeta.key,
  displayName: amazonMeta.displayName,
  hosts: [...amazonMeta.hosts],
  matches: [...amazonMeta.matches],
  streams: amazonStreams,
  extractorVersion: amazonMeta.extractorVersion,
  parserVersion: amazonMeta.parserVersion,
  pageExtractor: amazonPageExtractor,
  artifactParsers: [amazonOrderHistoryParser],
  exportSteps: amazonExportSteps,
  // The CSV names no account; the owner's name for it joins later captures greeted by that name.
  accountHintFromOwnerName: (name) => accountHintFor('amazon.com', name, 'named by you when importing a file'),
};

export { amazonMeta, amazonOrderHistoryParser, amazonPageExtractor, amazonStreams };
