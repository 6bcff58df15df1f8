/** Host permissions for the manifest: exactly the hosts connectors declare. */
import { amazonMeta } from './amazon/meta';
import { netflixMeta } from './netflix/meta';
import { youtubeMeta } from './youtube/meta';
import { chatgptMeta } from './chatgpt/meta';
import { xMeta } from './x/meta';
import { redditMeta } from './reddit/meta';

export const connectorMetas = [amazonMeta, netflixMeta, youtubeMeta, chatgptMeta, xMeta, redditMeta] as const;

export function connectorHostPermissions(): string[] {
  return connectorMetas.flatMap((meta) => meta.hosts.map((host) => `https://${host}/*`));
}
