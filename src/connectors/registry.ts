/** Every connector Gleaner ships. Adding a service: add its folder and one line here. */
import { amazonConnector } from './amazon';
import { netflixConnector } from './netflix';
import { youtubeConnector } from './youtube';
import { chatgptConnector } from './chatgpt';
import { xConnector } from './x';
import { redditConnector } from './reddit';
import type { ConnectorDefinition } from './types';

export const connectors: readonly ConnectorDefinition[] = [amazonConnector, netflixConnector, youtubeConnector, chatgptConnector, xConnector, redditConnector];

export function connectorByKey(key: string): ConnectorDefinition | undefined {
  return connectors.find((connector) => connector.key === key);
}

/** The connector whose declared hosts include `url`'s host, if any. */
export function connectorForUrl(url: string): ConnectorDefinition | undefined {
  let host: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:') return undefined;
    host = parsed.hostname;
  } catch {
    return undefined;
  }
  return connectors.find((connector) => connector.hosts.includes(host));
}
