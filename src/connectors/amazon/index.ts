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

/** The owner's two jobs for Amazon, shown on the dashboard's Sources card. */
export const amazonOwnerCopy: NonNullable<ConnectorDefinition['ownerCopy']> = {
  searchHint: 'Item name, order number…',
  acquisitionPaths: [
    {
      method: 'owner_artifact',
      title: 'Import your history from an export',
      summary: 'Amazon’s data export holds every order back to your first one, up to the day you requested it.',
      steps: amazonExportSteps,
      url: 'https://www.amazon.com/hz/privacy-central/data-requests/preview.html',
      urlLabel: 'Request your data on Amazon',
    },
    {
      method: 'browser_polyfill',
      title: 'Keep recent orders current by visiting Your Orders',
      summary: 'While you are signed in, each Your Orders page you open is kept: pick a year to keep that whole year.',
      url: 'https://www.amazon.com/your-orders/orders',
      urlLabel: 'Open Your Orders',
      pagesName: 'Your Orders',
      yearUrl: 'https://www.amazon.com/your-orders/orders?timeFilter=year-{year}',
      yearUrlLabel: 'Your Orders for {year}',
    },
  ],
  streamNouns: {
    orders: { one: 'order', other: 'orders' },
    order_items: { one: 'item', other: 'items' },
  },
};

/** Your Orders for one calendar year (the page that keeps that whole year). */
export function amazonYearPageUrl(year: number): string {
  return amazonOwnerCopy.acquisitionPaths.find((path) => path.yearUrl)!.yearUrl!.replace('{year}', String(year));
}

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
  ownerCopy: amazonOwnerCopy,
  // The CSV names no account; the owner's name for it joins later captures greeted by that name.
  accountHintFromOwnerName: (name) => accountHintFor('amazon.com', name, 'named by you when importing a file'),
  accountNaming: {
    prompt: 'The name Amazon greets you with',
    help: 'It is at the top of every Amazon page while you are signed in ("Hello, Dana"). Pages of Your Orders you visit later join this connection by that name.',
    evidence: { stream: 'orders', field: 'recipient_name', label: 'Names on this export’s shipping addresses' },
    check: greetingNameRefusal,
  },
};

/**
 * Amazon greets an account by its first name only ("Hello, Dana"); a full name from the addresses
 * ("Dana Whitfield") would make a connection no visit ever joins.
 */
export function greetingNameRefusal(name: string, evidence: readonly string[]): string | undefined {
  const typed = name.trim().replace(/\s+/g, ' ');
  if (/^hello\b|^hi\b/i.test(typed)) return `Type only the name after "Hello," (for example "${typed.replace(/^(hello|hi)[,!\s]*/i, '').split(' ')[0] ?? ''}").`;
  const full = evidence.find((value) => value.trim().replace(/\s+/g, ' ').toLowerCase() === typed.toLowerCase() && /\s/.test(value.trim()));
  if (full) {
    const first = typed.split(' ')[0]!;
    return `Amazon greets you by your first name only ("Hello, ${first}"), not by the full name on your addresses. Type ${first}, or whatever follows "Hello," at the top of any Amazon page.`;
  }
  if (typed.length > 60) return 'That is longer than any name Amazon greets you with. Type the name after "Hello," at the top of any Amazon page.';
  return undefined;
}

export { amazonMeta, amazonOrderHistoryParser, amazonPageExtractor, amazonStreams };
